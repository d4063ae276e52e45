"""`cardio-intake label export|import|select`: the Label Studio round trip and active learning."""

from __future__ import annotations

import json
from pathlib import Path

import typer

label_app = typer.Typer(no_args_is_help=True, help="Label Studio round trip and active learning.")


def _read_predictions(path: Path) -> list:  # type: ignore[type-arg]
    from cardio_intake.schemas import Prediction

    preds = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                preds.append(Prediction.model_validate_json(line))
            except ValueError as exc:
                typer.echo(f"error: {path}:{n}: not a contract prediction: {str(exc).splitlines()[0]}", err=True)
                raise typer.Exit(2) from exc
    return preds


def _export(paths: list[tuple[Path, object | None]], out: Path, model: str | None, url_prefix: str) -> int:
    """OCR each file once, predict (unless a prediction is given), write page images and tasks."""
    from rich.progress import Progress

    from cardio_intake.ingest.errors import IngestError
    from cardio_intake.ingest.loader import load_document
    from cardio_intake.labelstudio.export import page_task, write_tasks
    from cardio_intake.labelstudio.images import write_page_images

    predictor = None
    images_dir = out.parent / f"{out.stem}-images"
    tasks = []
    failed = 0
    with Progress(transient=True) as progress:
        bar = progress.add_task("export", total=len(paths))
        for path, pred in paths:
            try:
                data = path.read_bytes()
                doc = load_document(data)
                if pred is None:
                    if predictor is None:
                        from cardio_intake.model.predictor import load_predictor

                        predictor = load_predictor(model)
                    pred = predictor.predict_document(doc, path.name, "sha256:" + doc.sha256)
                stem = doc.sha256[:16]
                for number, image in enumerate(write_page_images(data, doc, images_dir, stem), start=1):
                    ref = f"{url_prefix}{image.name}" if url_prefix else str(image.resolve())
                    page = doc.pages[number - 1]
                    tasks.append(page_task(pred, number, ref, page.width, page.height))  # type: ignore[arg-type]
            except (IngestError, OSError) as exc:
                failed += 1
                progress.console.print(f"{path}: {getattr(exc, 'code', 'unreadable_file')}: {exc}", markup=False)
            progress.advance(bar)
    config = write_tasks(tasks, out)
    typer.echo(f"{len(tasks)} tasks -> {out}; page images in {images_dir}; labelling config -> {config}")
    return failed


@label_app.command("export")
def export_command(
    inputs: list[Path] = typer.Argument(..., help="fax files, or one predictions .jsonl"),
    out: Path = typer.Option(Path("tasks.json"), "--out", help="Label Studio import JSON"),
    files: Path | None = typer.Option(None, help="folder holding the files named in the predictions [default: beside the .jsonl]"),
    model: str | None = typer.Option(None, help="model URI for raw files [default: the champion]"),
    url_prefix: str = typer.Option("", help="prefix for task image URLs, e.g. /data/local-files/?d=tasks-images/"),
) -> None:
    """Write Label Studio tasks (one per page) with the model's pre-annotations, and the labelling config."""
    if len(inputs) == 1 and inputs[0].suffix == ".jsonl":
        base = files or inputs[0].parent
        pairs: list[tuple[Path, object | None]] = [(base / p.document, p) for p in _read_predictions(inputs[0])]
    else:
        pairs = [(p, None) for p in inputs]
    if _export(pairs, out, model, url_prefix):
        raise typer.Exit(1)


@label_app.command("import")
def import_command(
    export: Path = typer.Argument(..., help="Label Studio JSON export (or a FUNSD folder with --funsd)"),
    images: Path = typer.Option(Path("."), "--images", help="folder with the tasks' page images"),
    out: Path = typer.Option(..., "--out", help="dataset folder to write (HF save_to_disk)"),
    funsd: bool = typer.Option(False, "--funsd", help="EXPORT is a FUNSD-format folder (annotations/, images/)"),
) -> None:
    """Import finished labels: OCR pages, align regions onto words, write the training dataset format."""
    from rich.progress import Progress

    from cardio_intake.labelstudio.dataset import save_rows
    from cardio_intake.labelstudio.importer import LabelImportError, import_tasks, load_export, pages_to_rows

    try:
        if funsd:
            from cardio_intake.labelstudio.funsd import import_funsd

            rows = import_funsd(export)
            typer.echo(f"{len(rows)} FUNSD forms imported")
        else:
            from cardio_intake.ingest.loader import load_document

            tasks = load_export(export)
            with Progress(transient=True) as progress:
                bar = progress.add_task("import", total=len(tasks))
                pages, report = import_tasks(tasks, images, load_document,
                                             progress=lambda n: progress.update(bar, completed=n))
            rows = pages_to_rows(pages)
            typer.echo(
                f"{report.imported} of {report.tasks} tasks imported, {report.skipped_unannotated} without annotations "
                f"skipped; {report.regions_matched}/{report.regions} regions matched OCR words "
                f"({report.region_coverage:.1%}), {report.regions_transcribed} kept from their transcription, "
                f"{report.regions - report.regions_kept} lost"
            )
            for line in report.unmatched[:20]:
                typer.echo(f"  no OCR words inside: {line}", err=True)
    except LabelImportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    save_rows(rows, out)
    typer.echo(f"{len(rows)} documents -> {out}")


@label_app.command("select")
def select_command(
    predictions: Path = typer.Argument(..., help="predictions .jsonl of unlabelled faxes"),
    budget: int = typer.Option(20, "--budget", min=1, help="how many faxes to send for labelling"),
    out: Path = typer.Option(Path("selected-tasks.json"), "--out", help="Label Studio tasks for the selection"),
    files: Path | None = typer.Option(None, help="folder holding the files named in the predictions"),
    known: Path | None = typer.Option(None, help="training dataset folder: its referral sources are not new"),
) -> None:
    """Rank faxes by what a label would teach the model; export the top BUDGET as Label Studio tasks."""
    from rich.console import Console
    from rich.table import Table

    from cardio_intake.labelstudio.select import rank

    preds = _read_predictions(predictions)
    known_sources: set[str] = set()
    if known is not None:
        from datasets import load_from_disk

        for split in load_from_disk(str(known)).values():
            for fields in split["referral_fields"]:
                for f in map(json.loads, fields):
                    known_sources.update(v for v in (f.get("referring_npi"), f.get("provider_fax")) if v)
    chosen = rank(preds, budget, known_sources)
    table = Table("rank", "document", "score", "why")
    for n, c in enumerate(chosen, start=1):
        table.add_row(str(n), c.document, f"{c.score:.2f}", ", ".join(c.why))
    Console(stderr=True).print(table)
    by_id = {p.document_id: p for p in preds}
    base = files or predictions.parent
    if _export([(base / by_id[c.document_id].document, by_id[c.document_id]) for c in chosen], out, None, ""):
        raise typer.Exit(1)
