"""``cardio-intake ocr FILE [--json]``: what the loader reads from a file, or one error line.

Only typer is imported at module level; the loader (PIL, pdfium, tesseract) loads inside the command.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from cardio_intake.document import Document, Page


def ocr(
    file: Path = typer.Argument(..., help="PDF, multi-page TIFF, PNG or JPEG (format sniffed from the bytes)"),
    as_json: bool = typer.Option(False, "--json", help='print {"pages": [{"page", "width", "height", "words"}]}'),
    dpi: int = typer.Option(200, "--dpi", min=72, max=600, help="rasterization of image-only PDF pages"),
    workers: int | None = typer.Option(None, "--workers", min=1, help="OCR processes (default: one per core)"),
    timeout: float = typer.Option(60.0, "--timeout", min=1.0, help="OCR time limit per page, seconds"),
) -> None:
    """Read a fax, scan or PDF into upright pages of words with boxes (OCR when there is no text layer)."""
    from cardio_intake.ingest import IngestError, Limits, load_path

    try:
        with _native_stderr_silenced():
            doc = load_path(file, limits=Limits(dpi=dpi, ocr_timeout_s=timeout), workers=workers)
    except IngestError as exc:
        _fail(file, exc.code, str(exc))
    except IsADirectoryError:
        _fail(file, "not_a_file", "is a directory")
    except FileNotFoundError:
        _fail(file, "file_not_found", "no such file")
    except OSError as exc:
        _fail(file, "unreadable_file", exc.strerror or str(exc))
    if as_json:
        typer.echo(json.dumps(document_json(doc, file.name)))
    else:
        _print_text(doc, file)


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Decoders written in C (libtiff) print their own complaints straight to file descriptor 2, e.g.
    ``TIFFFetchStripThing: IO error during reading of "StripOffsets"`` for a damaged fax (found by the
    hostile-input tests). The contract allows one line on stderr, ours, so fd 2 points at /dev/null
    while the file is read; a Python traceback (a bug) is still printed, after it is restored."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _fail(file: Path, code: str, message: str) -> None:
    # Exactly one line: upstream scripts grep stderr for it.
    print(f"error: {file}: {code}: {' '.join(message.split())}", file=sys.stderr)
    raise typer.Exit(1)


def document_json(doc: Document, name: str) -> dict[str, Any]:
    return {
        "file": name,
        "format": doc.format,
        "sha256": doc.sha256,
        "pages": [
            {
                "page": p.number,
                "width": p.width,
                "height": p.height,
                "dpi": p.dpi,
                "source": p.source,
                "rotation_applied": p.rotation_applied,
                "deskew_angle": p.deskew_angle,
                "words": [
                    {"text": w.text, "bbox": list(w.box_1000), "confidence": round(w.ocr_confidence, 3)}
                    for w in p.words
                ],
            }
            for p in doc.pages
        ],
    }


def _print_text(doc: Document, file: Path) -> None:
    typer.echo(f"{file}: {doc.format}, {len(doc.pages)} page(s)")
    for p in doc.pages:
        extra = f", rotated {p.rotation_applied}°" if p.rotation_applied else ""
        extra += f", deskewed {p.deskew_angle:+.2f}°" if p.deskew_angle else ""
        typer.echo(f"\n--- page {p.number}: {p.width}x{p.height} px, {p.dpi:g} dpi, {p.source}{extra}, {len(p.words)} words")
        for line in text_lines(p):
            typer.echo(line)


def text_lines(page: Page) -> list[str]:
    """Words in the loader's reading order, a new line wherever the next word does not continue
    the current line (starts further left, or lower than the line's height)."""
    lines: list[list[str]] = []
    prev = None
    for w in page.words:
        x0, y0, _, y1 = w.box_px
        if prev is None or x0 < prev[0] or abs((y0 + y1) / 2 - (prev[1] + prev[3]) / 2) > max(prev[3] - prev[1], 1):
            lines.append([])
        lines[-1].append(w.text)
        prev = w.box_px
    return [" ".join(words) for words in lines]


def build_dataset(
    corpus: Path = typer.Option(None, "--corpus", help="corpus directory from `data generate` [default: data/corpus]"),
    out: Path = typer.Option(None, "--out", help="where to save the DatasetDict [default: data/dataset]"),
    workers: int = typer.Option(2, "--workers", min=1, help="packets OCR'd in parallel (one process each)"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="only the first N packets (a quick look)"),
) -> None:
    """OCR every packet of a corpus and align its gold tags onto the OCR words: an HF DatasetDict
    (train/validation/test as in the corpus) plus coverage.json with the alignment coverage."""
    from cardio_intake import config
    from cardio_intake.ingest.dataset_builder import build_dataset as build

    corpus = corpus or config.CORPUS_DIR
    out = out or config.DATASET_DIR
    if not (corpus / "labels.jsonl").is_file():
        print(f"error: {corpus}: not_a_corpus: no labels.jsonl; run `cardio-intake data generate`", file=sys.stderr)
        raise typer.Exit(2)
    dsd = build(corpus, out, workers=workers, limit=limit)
    typer.echo(f"saved {out} ({', '.join(f'{k}: {len(v)}' for k, v in dsd.items())}); coverage in {out / 'coverage.json'}")
    failed = json.loads((out / "coverage.json").read_text(encoding="utf-8"))["failed"]
    if failed:
        print(f"error: {corpus}: unreadable_packets: {len(failed)} packet(s) failed, listed in coverage.json", file=sys.stderr)
        raise typer.Exit(1)
