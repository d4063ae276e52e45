"""Look for protected health information and secrets in the files a service wrote.

Every file under the given roots is read as bytes and searched case-insensitively for every needle
(names, dates of birth, member ids, API keys). The document store and the database hold PHI by design
(that is their job) and are skipped; everything else a service writes (its stdout/stderr, the audit
trail, logs under the data folder, the key file) must contain none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Where PHI belongs: the content-addressed fax store and the workflow database (with its WAL files).
DEFAULT_SKIP_DIRS = frozenset({"documents"})
DEFAULT_SKIP_SUFFIXES = (".db", ".db-wal", ".db-shm", ".db-journal", ".sqlite")


@dataclass(frozen=True)
class Hit:
    path: Path
    needle_index: int  # index into the needles given: the report never repeats the secret itself


@dataclass(frozen=True)
class ScanReport:
    files: list[Path]
    bytes_scanned: int
    needles: int
    hits: list[Hit]


def files_to_scan(roots: Iterable[Path], *, skip_dirs: frozenset[str] = DEFAULT_SKIP_DIRS,
                  skip_suffixes: tuple[str, ...] = DEFAULT_SKIP_SUFFIXES) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        root = Path(root)
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            rel_parts = path.relative_to(root).parts if path != root else ()
            if any(part in skip_dirs for part in rel_parts[:-1]):
                continue
            if path.name.endswith(skip_suffixes):
                continue
            out.append(path)
    return sorted(set(out))


def scan(roots: Iterable[Path], needles: Iterable[str], **kw: object) -> ScanReport:
    """Every (file, needle) pair where the needle occurs (case-insensitive) in the file's bytes."""
    wanted = sorted({n for n in needles if n and n.strip()})
    lowered = [n.lower().encode("utf-8") for n in wanted]
    files = files_to_scan(roots, **kw)  # type: ignore[arg-type]
    hits: list[Hit] = []
    total = 0
    for path in files:
        try:
            data = path.read_bytes().lower()
        except OSError:
            continue
        total += len(data)
        hits.extend(Hit(path, i) for i, needle in enumerate(lowered) if needle in data)
    return ScanReport(files=files, bytes_scanned=total, needles=len(wanted), hits=hits)
