"""The intake service as the reliability tests and benchmarks run it: `bentoml serve` on a free loopback
port (``serving_support.ServerProcess``) with its own keys, audit file, data folder and SQLite
database under one folder, so that everything the service wrote can be checked afterwards.

* ``ReliabilityService``: start, SIGKILL (the whole process group), restart on the same data.
* ``RecordingClient``: an httpx client that remembers (method, path, status) of every answer, to
  compare with the audit trail.
* The model is the serving tests' keyword double unless ``model_uri`` names a trained model.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from serving_support import REPO, ServerProcess, render_fax, render_page

from cardio_intake.testing.patients import SyntheticPatient
from serving.auth import KeyStore

ALL_SCOPES = ("extract", "triage", "workflow", "metrics", "admin")


def placeholder_bento_model(bentoml_home: Path) -> None:
    """The service declares a BentoML model; with a predictor factory or CARDIO_MODEL_URI it is never
    read, but it must exist in the store (same trick as tests/test_workflow_integration.py)."""
    subprocess.run(
        [sys.executable, "-c", "import bentoml\nfrom serving.predictor import BENTO_MODEL_NAME\n"
         "with bentoml.models.create(BENTO_MODEL_NAME) as m: open(m.path_of('placeholder'), 'w').write('x')"],
        env={**os.environ, "BENTOML_HOME": str(bentoml_home)}, check=True, capture_output=True, cwd=REPO,
    )


@dataclass
class Keys:
    valid: str  # every scope (admin): the fuzzer and the tests reach every route with it
    revoked: str  # was valid with every scope, revoked before the server started
    wrong_secret: str  # a real key id with another secret
    unknown: str  # well-formed, no such key id
    garbage: str = "not-a-key"

    def all(self) -> list[str]:
        return [self.valid, self.revoked, self.wrong_secret, self.unknown]


def make_keys(keys_file: Path) -> Keys:
    store = KeyStore(keys_file)
    valid = store.create("reliability", list(ALL_SCOPES))[1]
    revoked = store.create("reliability-old", list(ALL_SCOPES))[1]
    store.revoke("reliability-old")
    prefix, key_id, secret = valid.split("_", 2)
    wrong = f"{prefix}_{key_id}_{'x' * len(secret)}"
    unknown = f"{prefix}_{'0' * 12}_{secret}"
    return Keys(valid=valid, revoked=revoked, wrong_secret=wrong, unknown=unknown)


@dataclass
class ReliabilityService:
    root: Path
    keys: Keys
    env: dict[str, str]
    server: ServerProcess | None = None
    starts: int = 0

    @classmethod
    def create(cls, root: Path, *, model_uri: str | None = None, ocr_workers: int = 2,
               extra_env: dict[str, str] | None = None) -> ReliabilityService:
        root.mkdir(parents=True, exist_ok=True)
        placeholder_bento_model(root / "bentoml")
        keys = make_keys(root / "keys.json")
        env = {
            "BENTOML_HOME": str(root / "bentoml"),
            "CARDIO_API_KEYS_FILE": str(root / "keys.json"),
            "CARDIO_AUDIT_FILE": str(root / "audit" / "audit.jsonl"),
            "CARDIO_DATA_DIR": str(root / "data"),
            "DATABASE_URL": f"sqlite:///{root / 'data' / 'intake.db'}",
            "CARDIO_OCR_WORKERS": str(ocr_workers),
            **(extra_env or {}),
        }
        if model_uri:
            env["CARDIO_MODEL_URI"] = model_uri
        else:
            env["CARDIO_PREDICTOR_FACTORY"] = "serving_support:make_predictor"
        return cls(root=root, keys=keys, env=env)

    @property
    def url(self) -> str:
        assert self.server is not None, "not started"
        return self.server.url

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def audit_file(self) -> Path:
        return Path(self.env["CARDIO_AUDIT_FILE"])

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"  # stdout and stderr of every start, appended

    def start(self, timeout_s: float = 240.0) -> ReliabilityService:
        self.server = ServerProcess(self.env, self.log_file)
        self.server.start(timeout_s)
        self.starts += 1
        return self

    def kill(self) -> list[int]:
        """A crash: SIGKILL to every process of the service (the serve process, its API and model
        workers, their OCR pools, tesseract); nothing gets to clean up. Returns the killed pids.

        Not a ``killpg`` of the serve process group alone: BentoML's process manager (circus) starts
        each worker in a session of its own, so that would leave the workers serving, orphaned. The
        whole tree is frozen (SIGSTOP) first, so nothing can be forked or restarted while it is
        collected, then killed."""
        import psutil

        assert self.server is not None and self.server.proc is not None
        root = psutil.Process(self.server.proc.pid)
        frozen: dict[int, psutil.Process] = {}
        todo = [root]
        while todo:
            proc = todo.pop()
            if proc.pid in frozen:
                continue
            try:
                proc.suspend()
                frozen[proc.pid] = proc
                todo.extend(proc.children(recursive=True))
            except psutil.NoSuchProcess:
                pass
        for proc in frozen.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        _, alive = psutil.wait_procs(list(frozen.values()), timeout=30)
        assert not alive, f"processes survived SIGKILL: {[p.pid for p in alive]}"
        self.server.proc.wait(timeout=30)
        self.server.stop()  # closes the log file; the processes are gone already
        return sorted(frozen)

    def stop(self) -> None:
        """SIGTERM through ``ServerProcess.stop``; then any process of the tree still alive is killed
        (its SIGKILL fallback reaches the serve process group only, not BentoML's workers)."""
        import psutil

        if self.server is None or self.server.proc is None:
            return
        try:
            tree = psutil.Process(self.server.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            tree = []
        self.server.stop()
        _, alive = psutil.wait_procs(tree, timeout=10)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()

    def client(self, key: str | None = "valid", **kw: Any) -> RecordingClient:
        token = getattr(self.keys, key) if key else None
        return RecordingClient(self.url, token, **kw)


#: Every answer of every RecordingClient in this process: (method, path, status).
ANSWERED: Counter[tuple[str, str, int]] = Counter()
_ANSWERED_LOCK = threading.Lock()


def record_answer(method: str, path: str, status: int) -> None:
    """Count an answer; ``path`` as the server saw it (percent-decoded, as the ASGI scope and the audit have it)."""
    with _ANSWERED_LOCK:
        ANSWERED[(method.upper(), unquote(path), status)] += 1


class RecordingClient(httpx.Client):
    """An httpx client for the service that records every answer (for the audit comparison)."""

    def __init__(self, base_url: str, token: str | None, timeout: float = 120.0, **kw: Any) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(base_url=base_url, headers=headers, timeout=timeout,
                         event_hooks={"response": [self._record]}, **kw)

    @staticmethod
    def _record(response: httpx.Response) -> None:
        record_answer(response.request.method, response.request.url.path, response.status_code)


@dataclass
class FaxFactory:
    """Faxes of synthetic patients; remembers every patient whose PHI went to the service."""

    patients: list[SyntheticPatient] = field(default_factory=list)

    def fax(self, patient: SyntheticPatient, fmt: str = "png") -> bytes:
        self.patients.append(patient)
        return render_fax(fmt, patient.referral_lines())

    def multipage_tiff(self, patient: SyntheticPatient, pages: int) -> bytes:
        """A Group 4 fax: the referral page, then note pages that carry the patient's name in the header."""
        import io

        self.patients.append(patient)
        frames = [render_page(patient.referral_lines()).convert("1")]
        for n in range(2, pages + 1):
            lines = (f"Patient: {patient.name}  page {n} of {pages}", "Progress note: palpitations, dyspnea on exertion",
                     "Plan: transthoracic echocardiogram, Holter monitor", "Medications: metoprolol 25 mg daily")
            frames.append(render_page(lines).convert("1"))
        buf = io.BytesIO()
        frames[0].save(buf, format="TIFF", compression="group4", save_all=True, append_images=frames[1:], dpi=(200, 200))
        return buf.getvalue()

    def needles(self) -> set[str]:
        return {n for p in self.patients for n in p.phi_needles()}
