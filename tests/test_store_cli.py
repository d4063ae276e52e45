"""`cardio-intake worklist`, `monitor` and `db` against a SQLite file named by DATABASE_URL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from store_fixtures import FakePredictor, FakeRules, referral_prediction
from typer.testing import CliRunner

from cardio_intake.cli import app
from cardio_intake.store import db
from cardio_intake.store.clock import FixedClock
from cardio_intake.store.intake import intake

runner = CliRunner()


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "240")  # rich folds cells in a narrow terminal
    engine = db.make_engine(url)
    db.upgrade(engine)
    predictor = FakePredictor()
    predictor.by_bytes[b"a"] = [referral_prediction("Ann Lee", urgency="stat")]
    predictor.by_bytes[b"b"] = [referral_prediction("Bo Chan", payer="Blue Plan")]
    # A clock in the past: the referrals are days old and overdue when the CLI looks (real time).
    clock = FixedClock(datetime(2020, 1, 6, 9, 0, tzinfo=UTC))
    with db.session_factory(engine)() as s:
        for data in (b"a", b"b"):
            intake(s, data, "f.pdf", None, predictor, FakeRules(), documents_dir=tmp_path / "docs", clock=clock)
    return tmp_path


def test_worklist_and_monitor_print_tables_and_json(seeded: Path) -> None:
    r = runner.invoke(app, ["worklist", "prior_auth"])
    assert r.exit_code == 0, r.output
    assert "Ann Lee" in r.output and "overdue" in r.output and "prior_auth_not_approved" in r.output
    r = runner.invoke(app, ["worklist", "scheduling", "--json"])
    page = json.loads(r.output)
    assert page["total"] == 1 and page["items"][0]["patient_name"] == "Bo Chan"
    r = runner.invoke(app, ["worklist", "nope"])
    assert r.exit_code == 2 and "unknown queue 'nope'" in r.output
    r = runner.invoke(app, ["monitor"])
    assert r.exit_code == 0, r.output
    assert "Authorizations to submit" in r.output and "Aging by queue" in r.output and "done 2" in r.output
    view = json.loads(runner.invoke(app, ["monitor", "--json"]).output)
    assert len(view["auths_due_to_submit"]) == 1 and view["auths_due_to_submit"][0]["days_left"] < 0
    assert [o["patient_name"] for o in view["orders_ready_to_schedule"]] == ["Bo Chan"]


def test_db_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    assert "current: none" in runner.invoke(app, ["db", "current"]).output
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0 and r.output.strip().endswith("at 0001_initial")
    assert runner.invoke(app, ["db", "downgrade", "base"]).exit_code == 2  # needs --yes
    r = runner.invoke(app, ["db", "downgrade", "base", "--yes"])
    assert r.exit_code == 0 and r.output.strip().endswith("at base")
