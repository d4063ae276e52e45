"""`cardio-intake predict FILE... --output preds.jsonl`: one contract JSON per readable file."""

from __future__ import annotations

from pathlib import Path

import typer


def predict(
    files: list[Path] = typer.Argument(..., help="fax/scan/PDF files (PDF, TIFF, PNG, JPEG)"),
    model: str | None = typer.Option(
        None, "--model", help="MLflow model URI or local model directory [default: models:/cardio-intake-referral@champion]"
    ),
    output: Path = typer.Option(Path("preds.jsonl"), "--output", "-o", help="JSON Lines output, one prediction per file"),
) -> None:
    """Extract intents, entities and fields from referral files (JSON Lines, contract format).

    An unreadable file prints one line on stderr (file, error code, reason); the others still run and
    the exit status is 1 when any file failed."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from cardio_intake.ingest.errors import IngestError
    from cardio_intake.model.predictor import load_predictor
    from cardio_intake.schemas import dump_jsonl_line

    try:
        predictor = load_predictor(model)
    except (LookupError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    failed = 0
    # progress and per-file errors both go to stderr, so they never mix with JSON Lines on stdout
    output.parent.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with output.open("w", encoding="utf-8") as out, Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("predict", total=len(files))
        for path in files:
            progress.update(task, description=path.name)
            try:
                data = path.read_bytes()
                pred = predictor.predict_bytes(data, path.name)
            except IngestError as exc:
                failed += 1
                progress.console.print(f"{path}: {exc.code}: {exc}", markup=False, highlight=False, soft_wrap=True)
            except OSError as exc:
                failed += 1
                progress.console.print(f"{path}: unreadable_file: {exc.strerror or exc}", markup=False, highlight=False, soft_wrap=True)
            else:
                out.write(dump_jsonl_line(pred) + "\n")
            progress.advance(task)
    typer.echo(f"{len(files) - failed} of {len(files)} files -> {output} (model {predictor.model_version})", err=True)
    if failed:
        raise typer.Exit(1)
