"""Durable jobs: the jobs table is the truth; executors only deliver "run job N".

What apps use is here: ``task`` and ``periodic`` to declare job types, ``JobContext`` that a
handler receives, ``JobService`` to enqueue (usually as ``scope.jobs``), and the errors a handler
raises. How jobs are run is in ``execution``.
"""

from reelhouse.platform.jobs.context import JobCancelled, JobContext, JobFailed
from reelhouse.platform.jobs.models import Job, JobPriority, JobStatus
from reelhouse.platform.jobs.registry import periodic, task
from reelhouse.platform.jobs.service import JobService

__all__ = [
    "Job",
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobPriority",
    "JobService",
    "JobStatus",
    "periodic",
    "task",
]
