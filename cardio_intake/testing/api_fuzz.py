"""Property-based API fuzzing with schemathesis against a running service's OpenAPI spec.

Every operation of the spec is driven with generated requests (schema-valid ones, and with
``negative=True`` schema-violating ones too), with the given headers (a valid key, or none), and each
response is checked: no 5xx, a status code the spec documents, the documented content type, and a
body that matches the documented schema. Hypothesis runs derandomized (the same requests every run).

``negative_data_rejection`` (invalid input must get a 4xx) is not among the checks: multipart form
fields are text on the wire, so "an integer where a file belongs" is a valid upload of the bytes
``-3619`` and rightly accepted; the workflow API's JSON routes are checked for it by FastAPI already.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class OperationResult:
    method: str
    path: str
    mode: str
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def fuzz_api(
    base_url: str,
    spec: dict[str, Any],
    *,
    headers: dict[str, str],
    max_examples: int,
    negative: bool = True,
    on_response: Callable[[str, str, int], None] | None = None,
    request_timeout_s: float = 120.0,
) -> list[OperationResult]:
    """Fuzz every operation of ``spec`` on ``base_url``; one result per (operation, generation mode)."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.core.result import Err
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    schema = schemathesis.openapi.from_dict(spec)
    session = requests.Session()
    if on_response is not None:
        def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            from urllib.parse import urlsplit

            on_response(response.request.method or "", urlsplit(str(response.request.url or '')).path, response.status_code)

        session.hooks["response"].append(hook)
    modes = [schemathesis.GenerationMode.POSITIVE] + ([schemathesis.GenerationMode.NEGATIVE] if negative else [])
    results: list[OperationResult] = []
    for mode in modes:
        for loaded in schema.get_all_operations():
            if isinstance(loaded, Err):  # an operation the spec describes so badly it cannot be generated
                results.append(OperationResult("?", "?", mode.value, failures=[f"invalid operation: {loaded.err()}"]))
                continue
            op = loaded.ok()
            res = OperationResult(op.method.upper(), op.path, mode.value)
            results.append(res)
            t0 = time.perf_counter()

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case: Any) -> None:
                res = results[-1]
                try:
                    response = case.call(base_url=base_url, headers=headers, session=session, timeout=request_timeout_s)
                except Exception as exc:  # no answer at all (reset, timeout) is a failure too
                    res.requests += 1
                    res.failures.append(f"no response: {type(exc).__name__}")
                    return
                res.requests += 1
                res.statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=checks)
                except (FailureGroup, Exception) as exc:  # FailureGroup is a BaseExceptionGroup
                    res.failures.append(_describe(case, response, exc))

            try:
                run()
            except Unsatisfiable:
                pass  # no schema-violating request exists for this operation (e.g. no parameters)
            except (FailureGroup, Exception) as exc:  # a failure that escaped the per-request check
                if not res.failures:
                    res.failures.append(f"{res.method} {res.path}: {_kinds(exc)}")
            res.seconds = time.perf_counter() - t0
    return results


def _kinds(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return "; ".join([ln.strip("- ").strip() for ln in lines if ln.startswith("- ")] or lines[:1])


def _describe(case: Any, response: Any, exc: BaseException) -> str:
    return f"{case.method.upper()} {case.formatted_path} -> {response.status_code}: {_kinds(exc)}"


def summarize(results: list[OperationResult]) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    for r in results:
        statuses.update(r.statuses)
    return {
        "operations": len({(r.method, r.path) for r in results}),
        "requests": sum(r.requests for r in results),
        "failures": sum(len(r.failures) for r in results),
        "server_errors_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "seconds": round(sum(r.seconds for r in results), 1),
    }
