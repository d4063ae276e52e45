"""The workflow demo step runs on a fresh database with the real rules and ends with a booked order,
with the intake reviewer's corrections when the model missed what makes an authorization needed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console
from store_fixtures import FakePredictor, referral_prediction

from cardio_intake.corpus.gold import GoldPacket, GoldReferral
from cardio_intake.store.demo import run_workflow_demo
from cardio_intake.store.demo_review import with_authorization_case
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


def _gold(payer: str, intents: tuple[str, ...]) -> GoldReferral:
    truth = referral_prediction(payer=payer, intents=intents)
    return GoldReferral(pages=truth.pages, intents=[i.label for i in truth.intents], fields=truth.fields)


def test_demo_corrects_a_missed_payer_in_review_and_still_books(tmp_path: Path) -> None:
    """A stand-in model that misses the payer leaves every order with an unknown requirement; the intake
    reviewer's corrections (from the gold labels) make the authorization needed, and the walk goes on."""
    files, gold = [], {}
    predictor = FakePredictor()
    for i, (payer, intents) in enumerate([("Medicare", ("consult",)), ("UnitedHealthcare", ("echo_tte",))]):
        f = tmp_path / f"fax{i}.pdf"
        f.write_bytes(f"fax {i}".encode())
        predictor.by_bytes[f.read_bytes()] = [referral_prediction(payer=None, intents=intents, review_needed=True)]
        gold[f.name] = [_gold(payer, intents)]
        files.append(f)
    rules = RulesTriage.load()
    console = Console(record=True, width=200)
    assert run_workflow_demo(files, predictor, rules, workdir=tmp_path / "plain", console=console) is None
    assert "no intake needed a prior authorization" in console.export_text()

    console = Console(record=True, width=200)
    booked = run_workflow_demo(files, predictor, rules, workdir=tmp_path / "wf", console=console, gold=gold)
    assert booked is not None and booked.service == "echo_tte" and booked.status == "scheduled"
    text = console.export_text()
    assert "a person corrected 1 field(s) in review" in text and "payer (None -> 'UnitedHealthcare')" in text
    assert "submitted to the payer" in text and "booked" in text


def test_demo_reviewer_confirms_a_right_extraction(tmp_path: Path) -> None:
    f = tmp_path / "fax.pdf"
    f.write_bytes(b"fax")
    predictor = FakePredictor()
    predictor.by_bytes[b"fax"] = [referral_prediction(payer="UnitedHealthcare", review_needed=True)]
    console = Console(record=True, width=200)
    gold = {f.name: [_gold("UnitedHealthcare", ("echo_tte",))]}
    booked = run_workflow_demo([f], predictor, RulesTriage.load(), workdir=tmp_path / "wf", console=console, gold=gold)
    assert booked is not None and booked.status == "scheduled"
    text = console.export_text()
    assert "no corrections needed" in text and "a person corrected" not in text


def test_demo_packets_include_one_that_needs_authorization() -> None:
    def packet(k: int, payer: str, intents: tuple[str, ...]) -> GoldPacket:
        return GoldPacket(doc_id=f"p{k}", file=f"files/p{k}.pdf", format="pdf_text", resolution="digital",
                          family="memo_brief", split="test", pages=[], referrals=[_gold(payer, intents)])

    rules, today = RulesTriage.load(), date(2026, 11, 2)
    consults = [packet(k, "UnitedHealthcare", ("consult",)) for k in range(3)]
    echo = packet(3, "UnitedHealthcare", ("echo_tte",))
    chosen = with_authorization_case([*consults, echo], 2, rules, today)
    assert [p.doc_id for p in chosen] == ["p0", "p3"]
    assert [p.doc_id for p in with_authorization_case([echo, *consults], 2, rules, today)] == ["p3", "p0"]
    assert [p.doc_id for p in with_authorization_case(consults, 2, rules, today)] == ["p0", "p1"]
