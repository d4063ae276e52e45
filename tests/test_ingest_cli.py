"""`cardio-intake ocr FILE [--json]`: pages and words, or exactly one error line and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ingest_docs as D
import pytest


def _ocr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cardio_intake.cli", "ocr", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("referral.pdf", b"<!DOCTYPE html><html><body>not a fax</body></html>", "unsupported_format"),
        ("packet.pdf", b"PK\x03\x04" + b"\x00" * 40, "unsupported_format"),
        ("empty.tif", b"", "empty_document"),
        ("bomb.png", D.png_bomb(), "page_too_large"),
    ],
)
def test_bad_file_prints_one_error_line(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    res = _ocr(str(path))
    assert res.returncode != 0
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert str(path) in lines[0] and f": {code}: " in lines[0]


def test_encrypted_pdf_and_missing_file(tmp_path: Path) -> None:
    enc = tmp_path / "locked.pdf"
    enc.write_bytes(D.encrypted_pdf())
    res = _ocr(str(enc), "--json")
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "encrypted_document" in res.stderr
    res = _ocr(str(tmp_path / "nowhere.pdf"))
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "file_not_found" in res.stderr


def test_json_output_has_pages_and_words(tmp_path: Path) -> None:
    path = tmp_path / "efax.pdf"
    path.write_bytes(D.text_pdf(2))
    res = _ocr(str(path), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert [p["page"] for p in out["pages"]] == [1, 2]
    first = out["pages"][0]
    assert (first["width"], first["height"]) == (1700, 2200)
    texts = [w["text"] for w in first["words"]]
    assert texts[:4] == ["Ambulatory", "Referral", "to", "Cardiology"]
    for w in first["words"]:
        x0, y0, x1, y1 = w["bbox"]
        assert 0 <= x0 <= x1 <= 1000 and 0 <= y0 <= y1 <= 1000


def test_text_output_prints_page_header_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "efax.pdf"
    path.write_bytes(D.text_pdf(1))
    res = _ocr(str(path))
    assert res.returncode == 0, res.stderr
    assert "page 1: 1700x2200 px" in res.stdout
    assert "Ambulatory Referral to Cardiology" in res.stdout.splitlines()
