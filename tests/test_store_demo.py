"""The workflow demo step runs on a fresh database with the real rules and ends with a booked order."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from store_fixtures import FakePredictor, referral_prediction

from cardio_intake.store.demo import run_workflow_demo
from cardio_intake.store.rules_adapter import RulesTriage


def test_demo_books_an_order_after_approval(tmp_path: Path) -> None:
    files = []
    predictor = FakePredictor()
    for i, (payer, intents) in enumerate([("Medicare", ("consult",)), ("UnitedHealthcare", ("echo_tte",))]):
        f = tmp_path / f"fax{i}.pdf"
        f.write_bytes(f"fax {i}".encode())
        predictor.by_bytes[f.read_bytes()] = [referral_prediction(payer=payer, intents=intents, review_needed=True)]
        files.append(f)
    console = Console(record=True, width=200)
    for _ in range(2):  # a second run starts from a fresh state too
        booked = run_workflow_demo(files, predictor, RulesTriage.load(), workdir=tmp_path / "wf", console=console)
        assert booked is not None and booked.service == "echo_tte" and booked.status == "scheduled"
    text = console.export_text()
    assert "created=False" in text and "prior_auth_not_approved" in text and "booked" in text
