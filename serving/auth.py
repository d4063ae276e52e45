"""API keys: creation, revocation, hashed storage and constant-time verification, plus endpoint scopes.

A key looks like ``cik_<key id>_<secret>``. The key id is public (it names the key in the audit log);
only a salted scrypt hash of the secret is stored, in ``data/api_keys.json`` or the file named by
``CARDIO_API_KEYS_FILE`` (mode 0600). Verification compares hashes with ``hmac.compare_digest``.
The file is re-read when it changes, so ``cardio-intake keys revoke`` takes effect on the next request.

Everything here is plain Python usable from any ASGI app: the gateway middleware calls
:func:`authenticate` and :func:`scope_for_path`; FastAPI routes (the workflow API) can add
``Depends(require_scope("workflow"))`` on top.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import os
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from serving.request_context import Principal, current

Scope = Literal["extract", "triage", "workflow", "metrics", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)
DEFAULT_SCOPES: tuple[str, ...] = ("extract", "triage", "workflow")

KEY_PREFIX = "cik"
_KEY_RE = re.compile(r"^cik_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# scrypt at n=2**14 costs ~35 ms on this CPU: slow enough to make a stolen key file useless for
# guessing, and paid once per key and process thanks to the verification cache below.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
ALGORITHM = "scrypt-n16384-r8-p1"

#: Paths anyone may call: liveness and readiness probes (load balancers carry no keys).
OPEN_PATHS: frozenset[str] = frozenset({"/healthz", "/livez", "/readyz"})

#: Scope required per path prefix, longest prefix first. ``None``: any valid key (API docs, /model).
#: Paths not listed also need a valid key. The workflow API's prefixes are registered here already.
ROUTE_SCOPES: list[tuple[str, str | None]] = [
    ("/extract", "extract"),
    ("/triage_extracted", "triage"),
    ("/triage", "triage"),
    ("/metrics", "metrics"),
    ("/intake", "workflow"),
    ("/authorizations", "workflow"),
    ("/referrals", "workflow"),
    ("/appointments", "workflow"),
    ("/worklists", "workflow"),
    ("/monitor", "workflow"),
    ("/model", None),
]


def register_route_scope(prefix: str, scope: str | None) -> None:
    """Require ``scope`` for every path under ``prefix`` (an extension point for mounted apps)."""
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; choose from {', '.join(SCOPES)}")
    ROUTE_SCOPES[:] = [(p, s) for p, s in ROUTE_SCOPES if p != prefix] + [(prefix, scope)]


def scope_for_path(path: str) -> str | None:
    """The scope a path needs (``None``: any valid key)."""
    best: tuple[int, str | None] = (-1, None)
    for prefix, scope in ROUTE_SCOPES:
        if (path == prefix or path.startswith(prefix.rstrip("/") + "/")) and len(prefix) > best[0]:
            best = (len(prefix), scope)
    return best[1]


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS


class KeyStoreError(Exception):
    """A key-management request that cannot be done (duplicate name, unknown key, bad scope)."""


class ApiKeyRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: str = Field(description="public id, part of the key; names the key in the audit log")
    name: str
    scopes: list[Scope]
    salt: str = Field(description="hex, 16 random bytes per key")
    hash: str = Field(description="hex scrypt hash of the secret part")
    algorithm: str = ALGORITHM
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class KeyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    keys: list[ApiKeyRecord] = Field(default_factory=list)


def _hash_secret(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)


def _parse_key(token: str) -> tuple[str, str] | None:
    match = _KEY_RE.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


class KeyStore:
    """The key file of one deployment; safe to share between threads, re-read when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_id: dict[str, ApiKeyRecord] = {}
        # HMAC(process pepper, presented key) -> key id for keys already verified by scrypt. Keyed by
        # an HMAC so the cache never holds a usable key; cleared whenever the file changes.
        self._pepper = secrets.token_bytes(32)
        self._verified: dict[bytes, str] = {}

    # --- reading ---------------------------------------------------------------------------

    def _read_file(self) -> KeyFile:
        if not self.path.exists():
            return KeyFile()
        try:
            return KeyFile.model_validate_json(self.path.read_bytes())
        except ValueError as exc:
            raise KeyStoreError(f"{self.path}: not a valid API key file ({exc.__class__.__name__})") from None

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and (stamp is not None or not self._by_id):
            return
        keys = self._read_file().keys if stamp is not None else []
        self._by_id = {k.key_id: k for k in keys}
        self._verified.clear()
        self._stamp = stamp

    def records(self) -> list[ApiKeyRecord]:
        with self._lock:
            self._refresh()
            return list(self._by_id.values())

    def authenticate(self, token: str) -> Principal | None:
        """The key's principal, or ``None`` for a malformed, unknown, wrong or revoked key."""
        parsed = _parse_key(token)
        if parsed is None:
            return None
        key_id, secret = parsed
        fingerprint = hmac.new(self._pepper, token.strip().encode("utf-8"), hashlib.sha256).digest()
        with self._lock:
            self._refresh()
            record = self._by_id.get(key_id)
            if record is None or not record.active:
                return None
            if self._verified.get(fingerprint) == key_id:
                return Principal(record.key_id, record.name, frozenset(record.scopes))
        # scrypt outside the lock: concurrent requests with different keys do not queue behind it.
        if record.algorithm != ALGORITHM:
            return None
        computed = _hash_secret(secret, bytes.fromhex(record.salt))
        if not hmac.compare_digest(computed, bytes.fromhex(record.hash)):
            return None
        with self._lock:
            if len(self._verified) > 4096:
                self._verified.clear()
            self._verified[fingerprint] = key_id
        return Principal(record.key_id, record.name, frozenset(record.scopes))

    # --- writing (CLI) ---------------------------------------------------------------------

    @contextmanager
    def _edit(self) -> Iterator[KeyFile]:
        """Read-modify-write under an exclusive lock file; written atomically with mode 0600."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._read_file()
            yield data
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(data.model_dump_json(indent=2))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)

    def create(self, name: str, scopes: list[str] | tuple[str, ...] = DEFAULT_SCOPES) -> tuple[ApiKeyRecord, str]:
        """Create a key; returns its record and the key itself (shown once, never stored)."""
        if not _NAME_RE.match(name):
            raise KeyStoreError(f"key name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise KeyStoreError(f"unknown scope(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(SCOPES)}")
        with self._edit() as data:
            if any(k.name == name and k.active for k in data.keys):
                raise KeyStoreError(f"an active key named {name!r} exists; revoke it first or pick another name")
            taken = {k.key_id for k in data.keys}
            key_id = secrets.token_hex(6)
            while key_id in taken:
                key_id = secrets.token_hex(6)
            secret = secrets.token_urlsafe(32)
            salt = secrets.token_bytes(16)
            record = ApiKeyRecord(
                key_id=key_id,
                name=name,
                scopes=sorted(set(scopes), key=SCOPES.index),  # type: ignore[arg-type]
                salt=salt.hex(),
                hash=_hash_secret(secret, salt).hex(),
                created_at=datetime.now(UTC),
            )
            data.keys.append(record)
        return record, f"{KEY_PREFIX}_{key_id}_{secret}"

    def revoke(self, name_or_id: str) -> list[ApiKeyRecord]:
        """Revoke every active key with this name (or key id); the records stay for the audit trail."""
        revoked: list[ApiKeyRecord] = []
        with self._edit() as data:
            for k in data.keys:
                if k.active and name_or_id in (k.name, k.key_id):
                    k.revoked_at = datetime.now(UTC)
                    revoked.append(k)
            if not revoked:
                raise KeyStoreError(f"no active key named {name_or_id!r}")
        return revoked


_stores: dict[Path, KeyStore] = {}
_stores_lock = threading.Lock()


def get_store(path: Path | None = None) -> KeyStore:
    """The process-wide store for ``path`` (default: the serving settings' key file)."""
    if path is None:
        from serving.settings import get_settings

        path = get_settings().keys_file
    path = Path(path)
    with _stores_lock:
        if path not in _stores:
            _stores[path] = KeyStore(path)
        return _stores[path]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(authorization: str | None, store: KeyStore | None = None) -> Principal | None:
    token = bearer_token(authorization)
    if token is None:
        return None
    return (store or get_store()).authenticate(token)


# --- FastAPI dependency for mounted apps (the workflow API) -------------------------------


def require_scope(scope: str | None) -> Any:
    """``Depends(require_scope("workflow"))``: the request's principal, or 401/403.

    Behind the gateway the principal is already checked; used alone (an app tested without the
    gateway) it authenticates the header itself, so a route is never open by accident.
    """
    from fastapi import HTTPException, Request

    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(request: Request) -> Principal:
        ctx = current()
        principal = ctx.principal if ctx is not None else None
        if principal is None:
            principal = authenticate(request.headers.get("authorization"))
        if principal is None:
            raise HTTPException(
                status_code=401, detail="missing or invalid API key", headers={"WWW-Authenticate": "Bearer"}
            )
        if not principal.allows(scope):
            raise HTTPException(status_code=403, detail=f"this API key lacks the {scope!r} scope")
        return principal

    return dependency
