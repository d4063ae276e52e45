"""Run the hostile corpus through the CLI and the HTTP API and judge each outcome.

CLI: ``cardio-intake ocr FILE`` in its own process under a wall-clock limit and an address-space cap
(``limited.run_limited``). A ``reject`` case must exit 1 with exactly one line on stderr,
``error: FILE: CODE: message``, naming a known error code; a ``survive`` case may do that or succeed;
neither may time out, crash (a traceback, a signal) or print anything else on stderr.

HTTP: a multipart POST with a valid key. A ``reject`` case must get a 4xx JSON ``{error, detail}``; a
``survive`` case a 2xx or such a 4xx; never a 5xx, never later than the time limit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardio_intake.testing.hostile import HostileCase
from cardio_intake.testing.limited import run_limited

_ERROR_LINE = re.compile(r"^error: (?P<file>.+?): (?P<code>[a-z][a-z0-9_]+): (?P<message>.+)$")


def known_codes() -> frozenset[str]:
    from cardio_intake.ingest.errors import ALL_ERRORS

    return frozenset(e.code for e in ALL_ERRORS)


@dataclass(frozen=True)
class CaseOutcome:
    name: str
    expect: str
    channel: str  # "cli" or "POST /extract" ...
    status: int | None  # CLI exit code, or HTTP status (None: no answer)
    code: str | None  # the error code reported, if any
    seconds: float
    max_rss_mb: float | None = None
    problem: str | None = None  # why the outcome is not acceptable; None: acceptable

    @property
    def ok(self) -> bool:
        return self.problem is None


def run_cli_case(case: HostileCase, workdir: Path, *, cli: str, timeout_s: float, memory_mb: int,
                 env: dict[str, str] | None = None) -> CaseOutcome:
    folder = workdir / case.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / case.filename
    path.write_bytes(case.data)
    run = run_limited([cli, "ocr", str(path), "--workers", "1"], timeout_s=timeout_s, memory_mb=memory_mb, env=env)
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    match = _ERROR_LINE.match(lines[0]) if len(lines) == 1 else None
    code = match.group("code") if match else None
    problem = None
    if run.timed_out:
        problem = f"no answer within {timeout_s:g} s"
    elif run.returncode not in (0, 1):
        problem = f"exit status {run.returncode} (crash or signal)"
    elif run.returncode == 1 and match is None:
        problem = f"expected one 'error: FILE: CODE: message' line on stderr, got {len(lines)} line(s)"
    elif match is not None and (code not in known_codes() or match.group("file") != str(path)):
        problem = f"unknown error code {code!r} or wrong file named"
    elif run.returncode == 0 and (case.expect == "reject" or lines):
        problem = "read as a document" if case.expect == "reject" else "succeeded but wrote to stderr"
    return CaseOutcome(case.name, case.expect, "cli", run.returncode, code, round(run.wall_s, 2),
                       round(run.max_rss_mb, 1), problem)


def judge_http(case_name: str, expect: str, channel: str, response: Any | None, seconds: float,
               time_limit_s: float) -> CaseOutcome:
    """``response``: an httpx/requests response, or None when the request got no answer."""
    if response is None:
        return CaseOutcome(case_name, expect, channel, None, None, seconds, problem="no HTTP response")
    status = int(response.status_code)
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("error") if isinstance(body, dict) and 400 <= status < 500 else None
    problem = None
    if status >= 500:
        problem = f"server error {status}"
    elif seconds > time_limit_s:
        problem = f"answered after {seconds:.1f} s (limit {time_limit_s:g} s)"
    elif 400 <= status < 500:
        if not (isinstance(body, dict) and isinstance(body.get("error"), str) and isinstance(body.get("detail"), str)):
            problem = "4xx without a JSON {error, detail} body"
    elif expect == "reject":
        problem = f"accepted ({status}) a file that must be rejected"
    return CaseOutcome(case_name, expect, channel, status, code, round(seconds, 2), None, problem)


def post_case(client: Any, path: str, case: HostileCase, *, time_limit_s: float,
              content_type: str = "application/octet-stream") -> CaseOutcome:
    t0 = time.perf_counter()
    try:
        response = client.post(path, files={"file": (case.filename, case.data, content_type)})
    except Exception:  # connection reset, client timeout: no answer
        response = None
    return judge_http(case.name, case.expect, f"POST {path}", response, time.perf_counter() - t0, time_limit_s)


def failures(outcomes: Iterable[CaseOutcome]) -> list[str]:
    return [f"{o.channel} {o.name}: {o.problem}" for o in outcomes if not o.ok]
