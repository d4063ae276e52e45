"""Policy files: clear errors (file, line, problem) for bad ones, per-payer configuration, payer
matching against the corpus generator's payer names, and the two CLI commands."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import typer
from rules_support import make_referral, shipped_policies
from typer.testing import CliRunner

from cardio_intake import config
from cardio_intake.rules import PolicyError, UnknownPracticeError, load_policies, policy_version, triage
from cardio_intake.rules.cli import policies_app, triage_command
from cardio_intake.schemas import Prediction


@pytest.fixture()
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(config.POLICIES_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) and return the 1-based line where it was."""
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def _problems(directory: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policies(directory)
    return [str(p) for p in info.value.problems]


def test_shipped_policies_are_valid() -> None:
    policies = shipped_policies()
    assert policies.version == policy_version() and policies.version.startswith("sha256:")
    assert "default" in policies.practices
    assert policies.practice("default").modalities >= {
        "consult", "echo_tte", "echo_tee", "stress_echo", "nuclear_stress", "cardiac_ct", "cardiac_mri", "cardiac_cath"
    }  # fmt: skip
    with pytest.raises(UnknownPracticeError, match="practices on file: community-office, default"):
        policies.practice("nope")


def test_yaml_syntax_error_names_file_and_line(policy_dir: Path) -> None:
    line = _edit(
        policy_dir / "prior_auth.yaml",
        "    plans: [medicare_advantage]\n    services: [echo_tte, echo_tee]",
        "    plans: [medicare_advantage\n    services: [echo_tte, echo_tee]",
    )
    (problem,) = _problems(policy_dir)
    assert problem.startswith("prior_auth.yaml:") and "YAML syntax" in problem
    assert line <= int(problem.split(":")[1]) <= line + 2


def test_schema_error_names_the_item_line(policy_dir: Path) -> None:
    line = _edit(
        policy_dir / "prior_auth.yaml",
        "    services: [echo_tte, echo_tee]\n    required: false",
        "    services: [echo_tte, echo_toe]\n    required: false",
    )
    problems = _problems(policy_dir)
    assert any(p.startswith(f"prior_auth.yaml:{line}: rules.") and "echo_toe" in p for p in problems), (
        problems
    )


def test_missing_field_points_at_the_rule(policy_dir: Path) -> None:
    line = _edit(
        policy_dir / "documentation.yaml",
        "    queue: clinical_review\n    source: 2012",
        "    queue: clinical_review\n    sourze: 2012",
    )
    problems = _problems(policy_dir)
    assert any(
        p.startswith("documentation.yaml:") and "source" in p and "Field required" in p for p in problems
    )
    assert any(f"documentation.yaml:{line + 1}:" in p and "sourze" in p for p in problems), problems


def test_unknown_payer_in_a_rule(policy_dir: Path) -> None:
    line = _edit(policy_dir / "prior_auth.yaml", "    payers: [kaiser]", "    payers: [kaiserr]")
    assert f"prior_auth.yaml:{line}: unknown payer 'kaiserr'" in "\n".join(_problems(policy_dir))


def test_bad_expression_is_caught_at_load(policy_dir: Path) -> None:
    line = _edit(
        policy_dir / "prior_auth.yaml",
        '    when: urgency != "stat"\n    effective_from',
        '    when: urgncy != "stat"\n    effective_from',
    )
    (problem,) = _problems(policy_dir)
    assert problem.startswith(f"prior_auth.yaml:{line}: unknown symbol 'urgncy'")


def test_duplicate_rule_id_and_duplicate_key(policy_dir: Path) -> None:
    line = _edit(policy_dir / "sequencing.yaml", "  - id: seq-tte-before-tee", "  - id: doc-symptoms")
    assert (
        f"sequencing.yaml:{line}: rule id 'doc-symptoms' is already used in documentation.yaml"
        in _problems(policy_dir)
    )
    _edit(policy_dir / "sequencing.yaml", "  - id: doc-symptoms", "  - id: seq-tte-before-tee")
    key_line = _edit(
        policy_dir / "auth_timing.yaml",
        "    standard_days: 15\n",
        "    standard_days: 15\n    standard_days: 30\n",
    )
    assert f"auth_timing.yaml:{key_line + 1}: duplicate key 'standard_days'" in _problems(policy_dir)


def test_alias_naming_two_payers(policy_dir: Path) -> None:
    line = _edit(
        policy_dir / "payers.yaml",
        "    aliases: [Devoted Health, Devoted]",
        "    aliases: [Devoted Health, Devoted, UHC]",
    )
    assert f"payers.yaml:{line}: alias 'UHC' also names payer 'uhc'" in _problems(policy_dir)


def test_missing_file_and_missing_default_practice(policy_dir: Path) -> None:
    (policy_dir / "services.yaml").unlink()
    assert any(p.startswith("services.yaml: missing") for p in _problems(policy_dir))
    shutil.copy(config.POLICIES_DIR / "services.yaml", policy_dir / "services.yaml")
    _edit(policy_dir / "practices.yaml", "  - id: default\n", "  - id: main\n")
    assert any("no practice with id 'default'" in p for p in _problems(policy_dir))


def test_a_payer_can_have_its_own_decision_window(policy_dir: Path) -> None:
    referral = make_referral(payer="Cigna", intents=["nuclear_stress"])
    base = load_policies(policy_dir)
    before = triage(referral, base.practice("default"), base, date(2026, 3, 2)).orders[0]
    assert before.prior_auth.submit_by == date(2026, 3, 7)  # ERISA 15 days + 1
    with (policy_dir / "auth_timing.yaml").open("a") as fh:
        fh.write(
            "  - id: cigna-5-days\n    description: test window\n    payers: [cigna]\n"
            "    expedited_hours: 24\n    standard_days: 5\n    source: test\n"
        )
    changed = load_policies(policy_dir)
    after = triage(referral, changed.practice("default"), changed, date(2026, 3, 2)).orders[0]
    assert after.prior_auth.submit_by == date(2026, 3, 17)  # 2026-03-23 - 5 - 1
    assert "cigna-5-days" in after.rule_ids and changed.version != base.version


def test_every_corpus_payer_name_resolves() -> None:
    vocab = pytest.importorskip("cardio_intake.corpus.vocab")
    policies = shipped_policies()
    for names, kind, *_ in vocab.PAYERS:
        for name in names:
            match = policies.resolve_payer(name)
            assert match.payer is not None, name
            if kind in ("medicare_advantage", "medicaid") and match.plan is not None:
                assert match.plan.plan_type == kind, (name, match.how)
            if kind == "medicare":
                assert match.plan is not None and match.plan.plan_type == "traditional_medicare", name


@pytest.mark.parametrize(
    ("text", "payer", "plan"),
    [
        ("UNITEDHEALTHCARE", "uhc", "commercial"),
        ("U.H.C. Community Plan", "uhc", "community_plan"),
        ("United Health Care - Medicare Advantage", "uhc", "medicare_advantage"),
        ("Humana Medicare", "humana", "medicare_advantage"),
        ("Anthem Blue Cross & Blue Shield", "anthem", "commercial"),
        ("BlueCross BlueShield of Texas", "bcbs", "commercial"),
        ("Medicare (CMS)", "medicare", "traditional"),
        ("medi-cal", "state_medicaid", "fee_for_service"),
        ("TRICARE East", "tricare", None),
        ("Touchcare Insurance", None, None),  # "uhc" inside a word is not UHC
    ],
)
def test_payer_matching_is_robust_to_fax_spellings(text: str, payer: str | None, plan: str | None) -> None:
    match = shipped_policies().resolve_payer(text)
    assert (match.payer.id if match.payer else None, match.plan.id if match.plan else None) == (payer, plan)


# --- CLI -------------------------------------------------------------------------------------

runner = CliRunner()


def _triage_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(triage_command)
    return app


def test_policies_check_ok_and_failing(policy_dir: Path) -> None:
    ok = runner.invoke(policies_app, ["check", str(policy_dir)])
    assert ok.exit_code == 0 and "ok:" in ok.output
    line = _edit(policy_dir / "practices.yaml", "        site: inpatient", "        site: ward")
    bad = runner.invoke(policies_app, ["check", str(policy_dir)])
    assert bad.exit_code == 1
    assert f"practices.yaml:{line}:" in bad.output and "ward" in bad.output


def _prediction(document: str, referrals: list[dict[str, object]]) -> dict[str, object]:
    return {
        "document": document,
        "document_id": "sha256:" + "0" * 64,
        "model_version": "test:1",
        "pages": [
            {"page": 1, "type": "referral_order", "confidence": 0.9},
            {"page": 2, "type": "clinical_note", "confidence": 0.9},
        ],
        "referrals": referrals,
    }


def test_triage_cli_prints_each_prediction_with_its_decisions(tmp_path: Path) -> None:
    r1 = make_referral(payer="UHC", intents=["echo_tte"], cpt=["93306"]).model_dump(mode="json")
    r1["pages"] = [1, 2]
    r2 = make_referral(payer="Medicare", intents=["echo_tte"]).model_dump(mode="json")
    r2["pages"] = [1]
    lines = [_prediction("a.tif", [r1, r2]), _prediction("b.pdf", [r2])]
    path = tmp_path / "predictions.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = runner.invoke(_triage_app(), [str(path), "--date", "2026-03-02"])
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["document"] for o in out] == ["a.tif", "b.pdf"]
    Prediction.model_validate({k: v for k, v in out[0].items() if k != "triage"})
    assert len(out[0]["triage"]) == 2 and len(out[1]["triage"]) == 1
    first = out[0]["triage"][0]["orders"][0]
    # referral 1 has its clinical note on page 2: documentation complete, authorization still needed
    assert first["documentation"]["complete"] is True and first["blocked_by"] == ["prior_auth_not_approved"]
    # referral 2 has only page 1: Medicare needs no PA and no office note, so it is ready
    assert out[0]["triage"][1]["orders"][0]["schedulable"] is True
    assert out[0]["triage"][1]["route"]["queue"] == "scheduling"


def test_triage_cli_errors(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"document": "x"}\n')
    bad_line = runner.invoke(_triage_app(), [str(path), "--date", "2026-03-02"])
    assert bad_line.exit_code == 1 and f"{path}:1: not a contract prediction" in bad_line.output
    bad_practice = runner.invoke(_triage_app(), [str(path), "--practice", "nope"])
    assert bad_practice.exit_code == 2 and "unknown practice 'nope'" in bad_practice.output
    bad_date = runner.invoke(_triage_app(), [str(path), "--date", "03/02/2026"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output


def test_policies_rules_lists_every_rule_with_its_source() -> None:
    result = runner.invoke(policies_app, ["rules"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines() if line.strip()]
    assert listed == shipped_policies().rule_ids()
    assert "evicore-not-listed" in result.output and "[default]" in result.output
