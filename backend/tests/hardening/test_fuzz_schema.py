"""Schema fuzzing: every operation in /api/docs/openapi.json, driven by schemathesis-generated cases.

The real app (real SQLite file, engine on the paper exchange) runs in-process; each operation gets a
small, derandomized budget so the run is bounded and repeatable. Invariants checked for every case:
no 5xx, and every 4xx is the one error shape {error, detail, status_code, correlation_id} whose
correlation_id matches the X-Correlation-ID header.

Nothing is excluded: every action is cheap against the paper exchange. One guard: the fuzzing admin
never edits or deletes its own account (a generated password change would end its own session and
turn the rest of the run into 401s, which proves nothing).
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from litestar.testing import TestClient

from tests.conftest import ADMIN_PASSWORD
from tests.engine.harness import strategy_body
from tests.hardening.support import error_shape_problem, hardening_app

MAX_EXAMPLES = 25  # per operation; ~45 operations -> ~1,100 requests, ~10-15 s on 2 cores
BASE = "http://127.0.0.1"


def _fuzz_settings() -> Any:
    return settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected, not raised
        print_blob=False,
    )


def _fuzz(op: Any, client: TestClient, auth: dict[str, str], own_account: re.Pattern[str], failures: list[str]) -> int:
    sent = 0

    @_fuzz_settings()
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        nonlocal sent
        kwargs = case.as_transport_kwargs(base_url=BASE)
        method, url = kwargs.pop("method"), kwargs.pop("url")
        assume(not (own_account.search(url.split("?")[0]) and method in ("PATCH", "DELETE")))
        client.cookies.clear()
        for name, value in (kwargs.pop("cookies", None) or {}).items():
            client.cookies.set(name, value)
        headers = {**(kwargs.pop("headers", None) or {}), **auth}
        request = {k: v for k, v in kwargs.items() if k in ("params", "json", "data", "content", "files")}
        response = client.request(method, url, headers=headers, **request)
        sent += 1
        where = f"{op.label}: {method} {url} {request!r:.300}"
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {where}")
        elif response.status_code >= 400:
            problem = error_shape_problem(response.status_code, response.headers, response.content)
            if problem:
                failures.append(f"{response.status_code} bad error shape ({problem}) {where}")

    run()
    return sent


def test_every_operation_survives_generated_input(tmp_path) -> None:
    app = hardening_app(tmp_path)
    failures: list[str] = []
    sent = 0
    with TestClient(app=app, base_url=BASE) as client:
        token = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        fuzzer = client.post("/api/users", json={"username": "fuzzer", "password": "fuzzer-pass-123", "role": "admin"}, headers=admin)
        assert fuzzer.status_code == 201, fuzzer.text
        fuzzer_id = fuzzer.json()["id"]
        login = client.post("/api/auth/login", json={"username": "fuzzer", "password": "fuzzer-pass-123"})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # Real rows for small generated ids to land on (id 1 strategy, a viewer, an API key).
        assert client.post("/api/strategies", json=strategy_body(), headers=auth).status_code == 201
        client.post("/api/users", json={"username": "viewer1", "password": "viewer-pass-123", "role": "viewer"}, headers=auth)
        client.post("/api/auth/api-keys", json={"name": "k"}, headers=auth)

        doc = client.get("/api/docs/openapi.json", headers=auth).json()
        schema = schemathesis.openapi.from_dict(doc)
        own_account = re.compile(rf"/api/users/{fuzzer_id}$")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30, [op.label for op in operations]

        for op in operations:
            sent += _fuzz(op, client, auth, own_account, failures)
        client.cookies.clear()
    assert sent >= len(operations)
    # One line per operation and status is enough to reproduce; the full list is in the message.
    unique = list(dict.fromkeys(failures))
    assert not unique, f"{len(unique)} failing cases:\n" + "\n".join(unique[:40])
