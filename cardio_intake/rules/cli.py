"""CLI of the rules layer: ``cardio-intake policies check [DIR]`` and ``cardio-intake triage PREDICTIONS.jsonl``."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import typer

policies_app = typer.Typer(no_args_is_help=True, add_completion=False)


def _policies_dir(directory: Path | None) -> Path:
    from cardio_intake import config

    return directory if directory is not None else config.POLICIES_DIR


@policies_app.command("check")
def check(
    directory: Path | None = typer.Argument(
        None, help="policy folder (default: the shipped cardio_intake/policies)"
    ),
) -> None:
    """Validate every policy file; print each problem as FILE:LINE: PROBLEM and exit 1 if any."""
    from cardio_intake.rules.loader import PolicyError, load_policies

    folder = _policies_dir(directory)
    try:
        policies = load_policies(folder)
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(f"{folder / problem.file if problem.file != str(folder) else folder}"
                       f"{':' + str(problem.line) if problem.line else ''}: {problem.message}", err=True)  # fmt: skip
        typer.echo(f"error: {len(exc.problems)} problem(s) in {folder}", err=True)
        raise typer.Exit(1) from None
    n_rules = len(policies.rule_ids())
    typer.echo(
        f"ok: {folder} - {len(policies.payers)} payers, {n_rules} rules, "
        f"{len(policies.practices)} practices ({', '.join(policies.practices)}), version {policies.version}"
    )


@policies_app.command("rules")
def list_rules(
    directory: Path | None = typer.Argument(None, help="policy folder (default: the shipped one)"),
) -> None:
    """List every rule id with its file and source (defaults marked)."""
    from cardio_intake.rules.loader import PolicyError, load_policies

    try:
        p = load_policies(_policies_dir(directory))
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    rows = [(fb.id, "prior_auth.yaml (fallback)", fb.source) for fb in
            (p.prior_auth.fallbacks.unknown_payer, p.prior_auth.fallbacks.unknown_plan, p.prior_auth.fallbacks.no_policy)]  # fmt: skip
    rows += [
        (r.id, "prior_auth.yaml" + (" [default]" if r.default else ""), r.source) for r in p.prior_auth.rules
    ]
    rows += [(r.id, "documentation.yaml", r.source) for r in p.documentation.rules]
    rows += [(r.id, "sequencing.yaml", r.source) for r in p.sequencing.rules]
    rows += [
        (w.id, "auth_timing.yaml" + (" [default]" if w.default else ""), w.source) for w in p.timing.windows
    ]
    for rule_id, file, source in rows:
        typer.echo(f"{rule_id:38s} {file:30s} {source}")


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


def triage_command(
    predictions: Path = typer.Argument(..., help="contract predictions, JSON Lines ('-' for stdin)"),
    practice: str = typer.Option("default", "--practice", help="practice profile id (practices.yaml)"),
    on: str | None = typer.Option(None, "--date", help="today's date YYYY-MM-DD (default: the system date)"),
    target: str | None = typer.Option(
        None, "--target-date", help="appointment date to check readiness and submit-by against"
    ),
    policies_dir: Path | None = typer.Option(
        None, "--policies", help="policy folder (default: the shipped one)"
    ),
) -> None:
    """Triage predictions: print each input line's prediction with a `triage` list (one decision per referral)."""
    from pydantic import ValidationError

    from cardio_intake.rules.api import triage_prediction
    from cardio_intake.rules.loader import PolicyError, load_policies
    from cardio_intake.rules.policies import UnknownPracticeError
    from cardio_intake.schemas import Prediction

    today = _parse_date(on, "--date") or date.today()  # the CLI reads the clock; triage itself never does
    target_date = _parse_date(target, "--target-date")
    try:
        policies = load_policies(_policies_dir(policies_dir))
        profile = policies.practice(practice)
    except PolicyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except UnknownPracticeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if str(predictions) != "-" and not predictions.is_file():
        typer.echo(f"error: {predictions}: no such file", err=True)
        raise typer.Exit(2)
    stream = sys.stdin if str(predictions) == "-" else predictions.open(encoding="utf-8")
    failures = 0
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                prediction = Prediction.model_validate_json(line)
            except ValidationError as exc:
                failures += 1
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "(line)"
                typer.echo(
                    f"error: {predictions}:{number}: not a contract prediction: {where}: {first['msg']}",
                    err=True,
                )
                continue
            decisions = triage_prediction(prediction, profile, policies, today, target_date=target_date)
            out = prediction.model_dump(mode="json")
            out["triage"] = [d.model_dump(mode="json") for d in decisions]
            typer.echo(json.dumps(out, ensure_ascii=False))
    if failures:
        raise typer.Exit(1)
