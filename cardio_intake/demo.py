"""`make demo`: the main job end to end on embedded defaults. Each step is a small function so later
steps (train, serve, triage, track) can be added without touching the others."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from cardio_intake import config

console = Console()

DEMO_CORPUS = config.DATA_DIR / "demo" / "corpus"
DEMO_N = 24
DEMO_SEED = 7


def step_generate(out: Path = DEMO_CORPUS, n: int = DEMO_N, seed: int = DEMO_SEED) -> Path:
    """Generate a small corpus (reused when already there for the same seed and size)."""
    from cardio_intake.corpus.generate import generate_corpus, corpus_is_current

    if corpus_is_current(out, n=n, seed=seed):
        console.print(f"[green]corpus[/] reusing {out}")
    else:
        generate_corpus(out, n=n, seed=seed)
    return out


def step_summarize(corpus: Path) -> None:
    from cardio_intake.corpus.summary import print_packet_summary

    print_packet_summary(corpus)


def run_demo() -> None:
    corpus = step_generate()
    step_summarize(corpus)
