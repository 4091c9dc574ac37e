"""An app that exists only in the test suite, made as docs/adding-an-app.md says: it proves that a
folder and one line in a list of installed apps give an app its routes, job types, tables,
settings, profilers, topics and dashboard section, with no edit anywhere else."""
