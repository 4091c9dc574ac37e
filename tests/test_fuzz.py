"""A bounded fuzz run over the live OpenAPI document: schemathesis generates requests for every
operation (valid and invalid ones, from a fixed seed) against the real server over HTTP, as an
organization's admin; any 5xx, or an answer its documentation does not describe, fails the run."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import create_user

EXAMPLES_PER_OPERATION = 25
# Routes that wait for a person (a file dialog on the server's display) have tests of their own.
SKIPPED = {"/api/v1/assets/register-dialog"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def fuzz(openapi: dict[str, Any], base_url: str, headers: dict[str, str]) -> dict[str, str]:
    """Each distinct failure (operation, check, status), with a curl command reproducing it."""
    schema = schemathesis.openapi.from_dict(openapi)
    failures: dict[str, str] = {}
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path not in SKIPPED:
                _fuzz_operation(operation, base_url, headers, session, failures)
    return failures


def _fuzz_operation(
    operation: APIOperation,
    base_url: str,
    headers: dict[str, str],
    session: requests.Session,
    failures: dict[str, str],
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, headers=headers, session=session)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            # Collected rather than raised: one run reports every operation's failures, and
            # Hypothesis does not spend minutes shrinking each.
            for failure in group.exceptions:
                key = f"{operation.label}: {failure.title} [{response.status_code}]"
                failures.setdefault(key, case.as_curl_command(headers={"Authorization": "..."}))

    run()


async def test_fuzzing_every_operation_finds_no_server_error_nor_undocumented_answer(
    app: FastAPI, client: httpx.AsyncClient, admin_headers: dict[str, str], live_server: str
) -> None:
    # An admin of the organization, not the instance admin, so that fuzzed passwords and roles
    # never lock the run out of every route at once.
    headers = await create_user(client, admin_headers, "fuzz.admin@example.org", "admin")

    failures = await asyncio.to_thread(fuzz, app.openapi(), f"http://{live_server}", headers)

    assert not failures, "\n".join(f"{key}\n    {curl}" for key, curl in sorted(failures.items()))
