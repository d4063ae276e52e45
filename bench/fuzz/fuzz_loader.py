"""Coverage-guided fuzzing of the document loader with atheris (``pip install -e '.[fuzz]'``).

    .venv/bin/python bench/fuzz/fuzz_loader.py --seconds 180

Each input goes through everything the loader does before tesseract: format sniffing, the PDF checks
and rendering (pypdfium2, pikepdf for the diagnosis), TIFF/PNG/JPEG header checks and decoding
(Pillow), then the orientation and deskew analysis of every page. An ``IngestError`` is the correct
answer to a bad file; any other exception is a crash: its input is saved under ``--crashes`` (one
file per distinct exception type and place) and the run goes on. Seeds: the hostile corpus
(cardio_intake/testing/hostile.py) and valid PDF/TIFF/PNG/JPEG files, written to ``--corpus``, which
also keeps what the fuzzer finds between runs. A JSON summary (executions, seconds, crashes) is
printed and written to ``--crashes``/summary.json at the end.

Tesseract itself is left out: it is a separate program behind a timeout, and one run of it costs a
second, which would leave the fuzzer a few hundred inputs instead of tens of thousands.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import atheris  # noqa: E402

import cardio_intake  # noqa: E402,F401  (runtime environment first)

with atheris.instrument_imports():
    # Pillow's format parsers are Python: instrumenting them lets coverage steer into their corners.
    import PIL.Image
    import PIL.JpegImagePlugin
    import PIL.PngImagePlugin
    import PIL.TiffImagePlugin  # noqa: F401

    from cardio_intake.ingest import errors as ingest_errors
    from cardio_intake.ingest import pdf, raster, sniff
    from cardio_intake.ingest.limits import Limits

# Not instrumented: atheris' comparison hooks on numpy arrays leak ~0.4 MB per input (libFuzzer ran out
# of its 3 GB within 10,000 inputs); the plain module, run the same way, holds steady. The orientation
# code is numpy arithmetic with few branches: coverage guidance would add little there.
from cardio_intake.ingest import orient  # noqa: E402

#: Small pages and a coarse render keep one execution in milliseconds; the checks are the same code.
LIMITS = Limits(max_bytes=2 * 1024 * 1024, max_pages=20, max_megapixels=4.0, dpi=72)


def load_without_tesseract(data: bytes) -> int:
    """The loader's path up to the OCR call; returns the number of pages read."""
    if len(data) > LIMITS.max_bytes:
        raise ingest_errors.FileTooLarge("too large")
    fmt = sniff.sniff_format(data)
    images = []
    if fmt == "pdf":
        doc = pdf.open_pdf(data, LIMITS)
        try:
            for item in pdf.iter_pdf_pages(doc, LIMITS, ocr=True):
                if not hasattr(item, "words"):
                    images.append(item.image)
        finally:
            doc.close()
    else:
        _, pages = raster.open_raster(data, fmt, LIMITS)
        images = [p.image for p in pages]
    for image in images:
        skew = orient.estimate_skew(image)
        orient.deskew(image, skew)
        orient.upright_score(image)
    return len(images)


class Recorder:
    def __init__(self, crashes: Path, seconds: float) -> None:
        self.crashes = crashes
        self.deadline = time.monotonic() + seconds
        self.started = time.monotonic()
        self.executions = 0
        self.rejected = 0
        self.signatures: dict[str, str] = {}

    def __call__(self, data: bytes) -> None:
        self.executions += 1
        if self.executions % 256 == 0 and time.monotonic() > self.deadline:
            self.finish()
        try:
            load_without_tesseract(data)
        except ingest_errors.IngestError:
            self.rejected += 1
        except Exception as exc:  # a crash: the loader let a non-IngestError escape
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            signature = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            if signature not in self.signatures:
                name = "crash-" + hashlib.sha1(data).hexdigest()[:16]
                (self.crashes / name).write_bytes(data)
                (self.crashes / (name + ".txt")).write_text(
                    signature + "\n" + "".join(traceback.format_exception(exc)), encoding="utf-8")
                self.signatures[signature] = name
                print(f"\nCRASH {signature} -> {self.crashes / name}", flush=True)

    def finish(self) -> None:
        summary = {
            "seconds": round(time.monotonic() - self.started, 1),
            "executions": self.executions,
            "rejected_with_ingest_error": self.rejected,
            "distinct_crashes": len(self.signatures),
            "crashes": self.signatures,
        }
        (self.crashes / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        print("\n" + json.dumps(summary, indent=2), flush=True)
        os._exit(1 if self.signatures else 0)  # libFuzzer owns the process: leave without its teardown


def write_seeds(corpus: Path) -> int:
    from cardio_intake.testing.hostile import hostile_cases, valid_jpeg, valid_pdf, valid_png, valid_tiff

    corpus.mkdir(parents=True, exist_ok=True)
    seeds = [c.data for c in hostile_cases(include_large=False)]
    seeds += [valid_png(), valid_jpeg(), valid_tiff(2), valid_pdf(2)]
    for data in seeds:
        if data and len(data) <= LIMITS.max_bytes:
            (corpus / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)
    return len(seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180.0, help="how long to fuzz")
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "fuzz" / "loader" / "corpus")
    parser.add_argument("--crashes", type=Path, default=ROOT / "data" / "fuzz" / "loader" / "crashes")
    parser.add_argument("--seed", type=int, default=1, help="libFuzzer's random seed (0: from the clock)")
    args, libfuzzer_args = parser.parse_known_args()
    args.crashes.mkdir(parents=True, exist_ok=True)
    n = write_seeds(args.corpus)
    print(f"{n} seeds in {args.corpus}; fuzzing for {args.seconds:g} s", flush=True)
    recorder = Recorder(args.crashes, args.seconds)
    argv = [sys.argv[0], str(args.corpus), f"-seed={args.seed}", "-timeout=30", "-rss_limit_mb=3072",
            f"-artifact_prefix={args.crashes}/", "-print_final_stats=1", *libfuzzer_args]
    atheris.Setup(argv, recorder)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
