"""The one CLI, ``cardio-intake``. Each domain owns a typer sub-app or command in its own module;
heavy imports (torch, transformers, bentoml) stay inside the commands so ``--help`` is instant."""

from __future__ import annotations

import json

import typer

app = typer.Typer(
    name="cardio-intake",
    help="Cardiology referral fax intake: OCR, extraction, prior-auth triage and tracking.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def schema(
    which: str = typer.Argument("all", help="prediction, triage_decision or all"),
) -> None:
    """Print the JSON Schema of the contract's prediction output and triage decision."""
    from cardio_intake.schemas import json_schemas

    schemas = json_schemas()
    if which != "all":
        if which not in schemas:
            typer.echo(f"error: unknown schema {which!r}; choose from {', '.join(schemas)} or all", err=True)
            raise typer.Exit(2)
        schemas = {which: schemas[which]}
    typer.echo(json.dumps(schemas if which == "all" else schemas[which], indent=2))


@app.command()
def demo() -> None:
    """Run the main job end to end on the embedded defaults (what `make demo` runs)."""
    from cardio_intake.demo import run_demo

    run_demo()


# --- sub-apps and commands owned by other modules (one line each) ---------------------------
from cardio_intake.corpus.cli import app as data_app  # noqa: E402

app.add_typer(data_app, name="data", help="Generate and inspect the synthetic labelled corpus.")

from cardio_intake.ingest.cli import ocr as ocr_command  # noqa: E402

app.command("ocr")(ocr_command)

from cardio_intake.model.cli import predict as predict_command  # noqa: E402

app.command("predict")(predict_command)

from evaluation.cli import benchmark_app, evaluate_command  # noqa: E402

app.command("evaluate")(evaluate_command)
app.add_typer(benchmark_app, name="benchmark", help="Public benchmarks of the model code (FUNSD).")

from serving.cli import keys_app, serving_app  # noqa: E402

app.add_typer(keys_app, name="keys", help="Create, list and revoke the API's keys (stored hashed).")
app.add_typer(serving_app, name="serving", help="Prepare and inspect the BentoML intake service.")

from cardio_intake.rules.cli import policies_app, triage_command  # noqa: E402

app.add_typer(policies_app, name="policies", help="Validate and list the prior-auth and scheduling policies.")
app.command("triage")(triage_command)

from cardio_intake.labelstudio.cli import label_app  # noqa: E402

app.add_typer(label_app, name="label", help="Label Studio export/import and active learning for retraining.")


from cardio_intake.store.cli import db_app, workflow_app  # noqa: E402
from cardio_intake.store.cli import monitor as monitor_command  # noqa: E402
from cardio_intake.store.cli import worklist as worklist_command  # noqa: E402

app.command("worklist")(worklist_command)
app.command("monitor")(monitor_command)
app.add_typer(db_app, name="db", help="Workflow database migrations (DATABASE_URL or data/intake.db).")
app.add_typer(workflow_app, name="workflow", help="Workflow upkeep: expiry sweep, re-triage after policy changes.")

if __name__ == "__main__":
    app()
