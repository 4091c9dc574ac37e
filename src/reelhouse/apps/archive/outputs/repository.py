"""Queries of outputs and of the actions asked on them, inside one organization."""

from __future__ import annotations

from reelhouse.apps.archive.outputs.models import Output, OutputAction
from reelhouse.platform.repository import Repository


class OutputRepository(Repository[Output]):
    model = Output
    kind = "output"


class OutputActionRepository(Repository[OutputAction]):
    model = OutputAction
    kind = "output action"
