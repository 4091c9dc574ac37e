"""How jobs run: executors (the local pool, Celery), the runner, the sweeper, the scheduler and
the writes they make to the jobs table. Apps never import from here."""
