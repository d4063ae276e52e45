"""`cardio-intake data ...`: generate and inspect the synthetic labelled referral corpus.

Other modules may register more commands on this ``app`` (e.g. ``build-dataset``); keep imports of
heavy modules inside the command functions so ``--help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cardio_intake import config

app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.command()
def generate(
    n: int = typer.Option(200, "--n", min=1, help="number of packets (fax documents)"),
    seed: int = typer.Option(0, "--seed", help="random seed: the same seed gives the same corpus"),
    out: Path = typer.Option(config.CORPUS_DIR, "--out", help="corpus directory (created; replaced if present)"),
    workers: int = typer.Option(2, "--workers", min=1, help="worker processes for rendering"),
    families: str | None = typer.Option(
        None, "--families", help="comma-separated layout families to draw (default: the standard mix; "
        "composed_form, the randomly composed training form, only when named)"
    ),
    only_split: str | None = typer.Option(
        None, "--only-split", help="keep only the packets the plan puts in this split (train, validation or test): "
        "a second seed's test packets, a training-only supplement"
    ),
) -> None:
    """Generate a labelled corpus of synthetic cardiology referral fax packets."""
    from cardio_intake.corpus.generate import generate_corpus

    fams = [f.strip() for f in families.split(",") if f.strip()] if families is not None else None
    try:
        generate_corpus(out, n=n, seed=seed, workers=workers, families=fams, only_split=only_split)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e


@app.command()
def show(
    corpus: Path = typer.Argument(config.CORPUS_DIR, help="corpus directory written by `data generate`"),
    doc_id: str | None = typer.Option(None, "--doc-id", help="packet to show (default: the first one)"),
) -> None:
    """Print one packet's pages, page types, intents and fields, and the corpus counts."""
    from cardio_intake.corpus.summary import print_packet_summary

    if not (corpus / "labels.jsonl").is_file():
        typer.echo(f"error: {corpus} is not a corpus (no labels.jsonl); run `cardio-intake data generate`", err=True)
        raise typer.Exit(2)
    print_packet_summary(corpus, doc_id=doc_id)


# --- commands owned by other modules ---------------------------------------------------------
from cardio_intake.ingest.cli import build_dataset as _build_dataset  # noqa: E402

app.command("build-dataset")(_build_dataset)
