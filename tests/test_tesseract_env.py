"""OMP_THREAD_LIMIT=1 reaches every tesseract, and only tesseract: torch in this process keeps its cores."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cardio_intake import settings
from cardio_intake.ingest.tesseract import TesseractEnviron, pytesseract


def test_the_limit_is_declared_for_tesseract_not_for_this_process() -> None:
    assert settings.TESSERACT_ENV == {"OMP_THREAD_LIMIT": "1"}
    assert "OMP_THREAD_LIMIT" not in settings.RUNTIME_ENV
    # a fresh interpreter that imports the package (as every entry point does) leaves torch unlimited
    env = {k: v for k, v in os.environ.items() if k != "OMP_THREAD_LIMIT"}
    out = subprocess.run(
        [sys.executable, "-c", "import os, cardio_intake; print(os.environ.get('OMP_THREAD_LIMIT'))"],
        env=env, capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "None"


def test_environ_view_is_live_and_the_caller_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    view = TesseractEnviron()
    assert view["OMP_THREAD_LIMIT"] == "1"
    monkeypatch.setenv("CARDIO_TEST_VAR", "seen")
    assert view["CARDIO_TEST_VAR"] == "seen" and "CARDIO_TEST_VAR" in dict(view.items())
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")
    assert view["OMP_THREAD_LIMIT"] == "3"


def test_tesseract_subprocess_receives_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pytesseract, imported through cardio_intake.ingest.tesseract, starts the tesseract binary with
    OMP_THREAD_LIMIT=1 although this process does not have it."""
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    seen = tmp_path / "seen.txt"
    fake = tmp_path / "tesseract"
    fake.write_text(f'#!/bin/sh\necho "$OMP_THREAD_LIMIT" > {seen}\necho "tesseract 5.3.0"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(fake))
    assert str(pytesseract.get_tesseract_version()) == "5.3.0"  # runs the binary (only cached=True caches)
    assert seen.read_text().strip() == "1"
    assert "OMP_THREAD_LIMIT" not in os.environ
