"""Durable jobs: the jobs table is the truth; executors only deliver "run job N"."""
