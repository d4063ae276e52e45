"""`make demo`: the main job end to end on embedded defaults. Each step is a small function so later
steps (train, serve, triage, track) can be added without touching the others."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from cardio_intake import config

console = Console()

DEMO_CORPUS = config.DATA_DIR / "demo" / "corpus"
DEMO_N = 40
DEMO_SEED = 7


def step_generate(out: Path = DEMO_CORPUS, n: int = DEMO_N, seed: int = DEMO_SEED) -> Path:
    """Generate a small corpus (reused when already there for the same seed and size)."""
    from cardio_intake.corpus.generate import corpus_is_current, generate_corpus

    if corpus_is_current(out, n=n, seed=seed):
        console.print(f"[green]corpus[/] reusing {out}")
    else:
        generate_corpus(out, n=n, seed=seed)
    return out


def step_summarize(corpus: Path) -> None:
    from cardio_intake.corpus.summary import print_packet_summary

    print_packet_summary(corpus)


DEMO_DATASET = config.DATA_DIR / "demo" / "dataset"


def step_train_quick(corpus: Path = DEMO_CORPUS) -> None:
    """Train the `quick` model when the registry has no champion yet (OCR-aligned demo dataset when
    one was built, else the corpus's gold words)."""
    from cardio_intake.model.predictor import CHAMPION_URI, resolve_model_dir

    try:
        _, version = resolve_model_dir(CHAMPION_URI)
        console.print(f"[green]model[/] champion {version} found; not training")
        return
    except (LookupError, FileNotFoundError):
        console.print("[yellow]model[/] no champion yet: training the quick config")
    from training.config import load_config
    from training.train import run

    overrides = [f"data.dataset_dir={DEMO_DATASET}"] if DEMO_DATASET.exists() else [
        "data.source=gold", f"data.corpus_dir={corpus}"
    ]
    run(load_config(config.PROJECT_ROOT / "training" / "configs" / "quick.yaml", overrides))


def step_predict(corpus: Path = DEMO_CORPUS, n: int = 3) -> None:
    """Predict a few of the corpus's faxes with the champion and show what came out."""
    from rich.table import Table

    from cardio_intake.corpus.gold import read_labels
    from cardio_intake.model.predictor import load_predictor

    predictor = load_predictor()
    packets = sorted(read_labels(corpus), key=lambda p: (p.split != "test", p.doc_id))[:n]
    table = Table(title=f"predictions ({predictor.model_version})")
    for col in ("file", "pages", "referral", "patient", "payer", "intents", "review"):
        table.add_column(col)
    for packet in packets:
        pred = predictor.predict_bytes((corpus / packet.file).read_bytes(), Path(packet.file).name)
        for k, ref in enumerate(pred.referrals):
            table.add_row(
                pred.document, str(len(pred.pages)), f"{k + 1}/{len(pred.referrals)}",
                ref.fields.patient_name or "-", ref.fields.payer or "-",
                ", ".join(i.label for i in ref.intents) or "-",
                ", ".join(ref.review.reasons) if ref.review.needed else "straight through",
            )
    console.print(table)


def step_evaluate(corpus: Path = DEMO_CORPUS, limit: int = 8) -> Path:
    """Evaluate the champion on the demo corpus's test split (unseen layout families) and print the QA
    report's path. Written under data/demo/reports and not logged to MLflow, so the demo's few documents
    never replace the champion's real evaluation (evaluation/reports/, its MLflow run)."""
    from evaluation.evaluate import CHAMPION_URI, evaluate

    with console.status("[bold]evaluating the champion on the test split (OCR + model)..."):
        outcome = evaluate(CHAMPION_URI, corpus, champion_uri=None, limit=limit,
                           out_root=DEMO_CORPUS.parent / "reports", log_mlflow=False)
    h = outcome.report.metrics.headline
    console.print(f"[green]evaluation[/] {outcome.report.model.version}: intent micro-F1 {h['intent_micro_f1']:.3f}, "
                  f"entity F1 {h['entity_micro_f1']:.3f}, straight-through {h['straight_through']:.1%} on "
                  f"{outcome.report.metrics.documents} test documents "
                  f"({'PASS' if outcome.report.passed else 'FAIL'} against evaluation/thresholds.yaml)")
    console.print(f"report: {outcome.html}")
    return outcome.html


def step_track(corpus: Path = DEMO_CORPUS, n: int = 3) -> None:
    """Workflow state: intake a few faxes durably, approve one authorization and show its order going
    from blocked to booked (fresh demo database under data/demo/workflow). The corpus's gold labels
    stand for what the intake reviewer reads on the fax: a weak model's misses are corrected in review.
    One of the faxes is chosen to truly order a service that needs prior authorization."""
    from cardio_intake.corpus.gold import read_labels
    from cardio_intake.model.predictor import load_predictor
    from cardio_intake.store.clock import utc_now
    from cardio_intake.store.demo import run_workflow_demo
    from cardio_intake.store.demo_review import with_authorization_case
    from cardio_intake.store.rules_adapter import RulesTriage

    rules = RulesTriage.load()
    ordered = sorted(read_labels(corpus), key=lambda p: (p.split != "test", p.doc_id))
    packets = with_authorization_case(ordered, n, rules, utc_now().date())
    gold = {Path(p.file).name: p.referrals for p in packets}
    run_workflow_demo([corpus / p.file for p in packets], load_predictor().predict_bytes, rules,
                      workdir=config.DATA_DIR / "demo" / "workflow", console=console, gold=gold)


def step_serve(corpus: Path = DEMO_CORPUS, n: int = 3) -> None:
    """The product as upstream systems see it: `bentoml serve` on a free loopback port, an API key,
    a few faxes POSTed to /triage, the decisions printed, the server stopped."""
    from serving.demo import run_serving_demo

    run_serving_demo(corpus, n=n, console=console)


def run_demo() -> None:
    corpus = step_generate()
    step_summarize(corpus)
    step_train_quick(corpus)
    step_predict(corpus)
    step_track(corpus)
    step_serve(corpus)
    # last, so the final line a person sees is where the QA report is
    step_evaluate(corpus)
