"""CLI of the evaluation domain: `cardio-intake evaluate` and `cardio-intake benchmark funsd`.
Only light imports at module level (the CLI's --help must stay instant)."""

from __future__ import annotations

from pathlib import Path

import typer

from cardio_intake import config

benchmark_app = typer.Typer(no_args_is_help=True, help="Public benchmarks of the model code.")


def _bar(description: str):  # type: ignore[no-untyped-def]
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), transient=False)


def evaluate_command(
    model: str = typer.Option(
        f"models:/{config.REGISTERED_MODEL_NAME}@{config.CHAMPION_ALIAS}", "--model", help="model URI to evaluate"),
    data: Path | None = typer.Option(
        None, "--data", help=f"corpus directory (labels.jsonl) or saved dataset: source 'main' [default: {config.CORPUS_DIR} "
                             "unless --dataset is given]"),
    datasets: list[str] = typer.Option(
        [], "--dataset", help="another test source as NAME=PATH (corpus or saved dataset, e.g. imported labels; "
                              "repeatable): the report shows results per source"),
    compare: str | None = typer.Option(None, "--compare", help="another model URI: list documents whose triage changes"),
    champion: str = typer.Option(
        f"models:/{config.REGISTERED_MODEL_NAME}@{config.CHAMPION_ALIAS}", "--champion",
        help="the current champion, evaluated on the same documents ('' to skip)"),
    baseline: str = typer.Option("auto", "--baseline", help="scikit-learn baseline URI ('auto': the registered one; '' to skip)"),
    split: str = typer.Option("test", "--split", help="corpus split to evaluate"),
    limit: int | None = typer.Option(None, "--limit", min=1, help="evaluate only the first N documents"),
    out: Path = typer.Option(config.REPORTS_DIR, "--out", help="reports folder (a sub-folder per model version)"),
    mlflow_log: bool = typer.Option(True, "--mlflow/--no-mlflow", help="log the report to the model's MLflow run"),
    strict: bool = typer.Option(False, "--strict", help="exit 1 when a threshold gate fails"),
) -> None:
    """Evaluate a model on the corpus's test split: QA report (HTML) and metrics.json, logged to MLflow."""
    from rich.console import Console

    from evaluation.sources import resolve_sources

    try:
        sources = resolve_sources(data, datasets)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for src in sources:
        if not src.path.exists():
            typer.echo(f"error: {src.path} (source {src.name!r}) does not exist; generate a corpus with "
                       f"`cardio-intake data generate --out {src.path}` or import labels with `cardio-intake label import`",
                       err=True)
            raise typer.Exit(2)

    from evaluation.evaluate import evaluate
    from evaluation.runner import DataError

    console = Console()
    with _bar("evaluating") as bar:
        task = bar.add_task("documents (all models)", total=None)
        try:
            outcome = evaluate(model, None, datasets=sources, compare_uri=compare or None, champion_uri=champion or None,
                               baseline_uri=baseline or None, split=split, limit=limit, out_root=out,
                               log_mlflow=mlflow_log, progress=lambda d, t: bar.update(task, completed=d, total=t))
        except (DataError, ValueError, FileNotFoundError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    rep = outcome.report
    h = rep.metrics.headline
    op = rep.metrics.automation.operating_point
    console.print(f"[bold]{rep.model.version}[/] on {rep.metrics.documents} documents ({rep.metrics.pages} pages): "
                  f"intent micro-F1 {h['intent_micro_f1']:.3f}, entity F1 {h['entity_micro_f1']:.3f}, "
                  f"straight-through {h['straight_through']:.1%}, {h['pages_per_second']:.2f} pages/s")
    for row in rep.sources:
        s = row.metrics
        console.print(f"  [{row.source}] {row.documents} documents: intent micro-F1 {s['intent_micro_f1']:.3f}, "
                      f"entity F1 {s['entity_f1']:.3f}, straight-through {s['straight_through']:.1%}, "
                      f"field exact match {s['field_em/mean']:.1%}, auto {s['auto_rate']:.1%} "
                      f"(error {s['auto_error']:.1%})" + ("" if row.end_to_end or row.source == "all" else " – rows only")
                      # a corpus folder's rows are the generator's exact words: far above the end-to-end line above
                      + (" – on the corpus's gold words, not OCR" if row.words == "gold" else ""),
                      markup=False)  # "[main]" is text, not a rich style tag
    console.print("operating point: " + (f"threshold {op.threshold:.3f} automates {op.automation_rate:.1%} at "
                                         f"{op.error_rate:.1%} critical error" if op else "none at <=1% error"))
    for role, reason in outcome.skipped_references.items():
        console.print(f"[yellow]{role} not compared:[/] {reason}")
    for role, fails in outcome.failures.items():
        console.print(f"[red]{role}: {len(fails)} document(s) failed[/], e.g. {fails[0].doc_id}: {fails[0].error}")
    failed = [c.metric for c in rep.checks if not c.passed]
    console.print("[green]PASS[/]" if rep.passed else f"[red]FAIL[/] ({', '.join(failed)})")
    if outcome.logged_to_run:
        console.print(f"logged to MLflow run {outcome.logged_to_run}")
    typer.echo(str(outcome.html))
    if strict and not rep.passed:
        raise typer.Exit(1)


@benchmark_app.command("funsd")
def funsd_command(
    epochs: int = typer.Option(16, "--epochs", min=1, help="passes over the 149 training forms"),
    batch_size: int = typer.Option(4, "--batch-size", min=1),
    lr: float = typer.Option(2e-4, "--lr"),
    layout_init: str = typer.Option("sinusoid", "--layout-init", help="2D tables at the start: sinusoid or zero"),
    text_only: bool = typer.Option(False, "--text-only", help="ablation: every box zero"),
    tiny: bool = typer.Option(False, "--tiny", help="8 training and 4 test forms, 2 epochs: checks the plumbing only"),
    base_model: Path | None = typer.Option(None, "--base-model", help="local BERT/LayoutLM checkpoint (default MiniLM-L6)"),
    funsd_dir: Path = typer.Option(config.FUNSD_DIR, "--funsd-dir", help="FUNSD copy (read only, never shipped)"),
    output: Path | None = typer.Option(None, "--output", help="also write the result as JSON here"),
) -> None:
    """Fine-tune the model code on FUNSD and report entity-level F1 beside the published figures."""
    from rich.console import Console
    from rich.table import Table

    from evaluation.funsd import FunsdConfig, run_funsd

    if not (funsd_dir / "training_data").is_dir():
        typer.echo(f"error: FUNSD not found at {funsd_dir} (needs training_data/ and testing_data/)", err=True)
        raise typer.Exit(2)
    if layout_init not in ("sinusoid", "zero"):
        typer.echo(f"error: --layout-init must be sinusoid or zero, not {layout_init!r}", err=True)
        raise typer.Exit(2)
    cfg = FunsdConfig(epochs=2 if tiny else epochs, batch_size=batch_size, lr=lr, use_layout=not text_only,
                      layout_init=layout_init,  # type: ignore[arg-type]
                      max_train_forms=8 if tiny else None, max_test_forms=4 if tiny else None,
                      base_model=str(base_model) if base_model else None)
    with _bar("FUNSD") as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task("fine-tuning" if stage == "train" else "scoring test forms", total=total)
            bar.update(tasks[stage], completed=done)

        result = run_funsd(cfg, funsd_dir, progress)
    table = Table(title=f"FUNSD test split ({result.test_forms} forms), entity-level F1")
    table.add_column("model")
    table.add_column("F1", justify="right")
    name = ("MiniLM-L6 LayoutLM (this project" + (", text only" if text_only else "") + (", TINY)" if tiny else ")"))
    table.add_row(f"[bold]{name}[/]", f"[bold]{100 * result.f1:.2f}[/]")
    for other, f1 in result.published.items():
        table.add_row(f"{other} (published)", f"{f1:.2f}")
    Console().print(table)
    per_type = ", ".join(f"{t} {100 * s.f1:.1f}" for t, s in result.per_type.items())
    typer.echo(f"precision {100 * result.precision:.2f}, recall {100 * result.recall:.2f}; per type: {per_type}")
    typer.echo(f"training: {result.train_forms} forms x {result.epochs} epochs in {result.train_seconds:.0f} s on "
               f"{result.torch_threads} CPU thread(s); scoring {result.test_forms} forms in {result.eval_seconds:.1f} s")
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(result.model_dump_json(indent=1), encoding="utf-8")
