"""CLI of the serving layer: ``cardio-intake keys ...`` and ``cardio-intake serving ...``.

Only the standard library, pydantic and typer are imported at module level (``--help`` stays fast);
BentoML and MLflow are imported inside the commands that need them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

keys_app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys (stored hashed).")
serving_app = typer.Typer(no_args_is_help=True, help="Prepare and inspect the BentoML intake service.")

_KEYS_FILE_HELP = "key file (default: $CARDIO_API_KEYS_FILE or data/api_keys.json)"


def _store(keys_file: Path | None):  # type: ignore[no-untyped-def]
    from serving.auth import get_store

    return get_store(keys_file)


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name", help="who the key is for, e.g. fax-server-east"),
    scopes: list[str] = typer.Option(
        ["extract", "triage", "workflow"],
        "--scopes",
        "--scope",
        help="repeat or comma-separate: extract, triage, workflow, metrics, admin",
    ),
    keys_file: Path | None = typer.Option(None, "--keys-file", help=_KEYS_FILE_HELP),
) -> None:
    """Create a key and print it ONCE (only its salted hash is stored)."""
    from serving.auth import KeyStoreError

    wanted = [s.strip() for item in scopes for s in item.split(",") if s.strip()]
    try:
        record, key = _store(keys_file).create(name, wanted)
    except KeyStoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(key)
    typer.echo(
        f"created key {record.key_id} for {record.name!r} with scopes {', '.join(record.scopes)}; "
        "store it now, it cannot be shown again",
        err=True,
    )


@keys_app.command("revoke")
def keys_revoke(
    name: str = typer.Argument(..., help="key name (or key id)"),
    keys_file: Path | None = typer.Option(None, "--keys-file", help=_KEYS_FILE_HELP),
) -> None:
    """Revoke a key; a running service refuses it from its next request on."""
    from serving.auth import KeyStoreError

    try:
        revoked = _store(keys_file).revoke(name)
    except KeyStoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for rec in revoked:
        typer.echo(f"revoked {rec.key_id} ({rec.name})")


@keys_app.command("list")
def keys_list(
    keys_file: Path | None = typer.Option(None, "--keys-file", help=_KEYS_FILE_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON Lines instead of a table"),
) -> None:
    """List keys (ids, names, scopes, dates; never secrets or hashes)."""
    from rich.console import Console
    from rich.table import Table

    from serving.auth import KeyStoreError

    try:
        records = _store(keys_file).records()
    except KeyStoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        for r in records:
            typer.echo(json.dumps(r.model_dump(mode="json", include={"key_id", "name", "scopes", "created_at", "revoked_at"})))
        return
    table = Table("key id", "name", "scopes", "created", "status")
    for r in records:
        table.add_row(r.key_id, r.name, ",".join(r.scopes), r.created_at.strftime("%Y-%m-%d %H:%M"),
                      "active" if r.active else f"revoked {r.revoked_at:%Y-%m-%d}")
    Console().print(table)


@serving_app.command("import-model")
def import_model(
    model: str = typer.Option(
        "models:/cardio-intake-referral@champion", "--model", help="MLflow model URI to serve (default: the champion)"
    ),
) -> None:
    """Copy the model into the BentoML model store, where the service and `bentoml build` find it."""
    from serving.predictor import import_champion

    try:
        tag, imported = import_champion(model)
    except Exception as exc:  # MlflowException & co: one clear line
        typer.echo(f"error: cannot import {model}: {exc}", err=True)
        typer.echo("hint: train one first: python -m training.train --config training/configs/quick.yaml", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{'imported' if imported else 'already in the store:'} {tag}")


@serving_app.command("openapi")
def openapi() -> None:
    """Print the service's OpenAPI spec (with the API-key scheme and error responses)."""
    from serving.openapi import augment_spec
    from serving.service import IntakeService

    service: Any = IntakeService
    typer.echo(json.dumps(augment_spec(service.openapi_spec.asdict()), indent=2))
