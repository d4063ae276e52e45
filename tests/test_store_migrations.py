"""Migrations: up and down on both databases, the schema matches the models, the event log is
append-only at the database, and the packaged migrations run without any alembic.ini."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from store_fixtures import Database

from cardio_intake.store import db
from cardio_intake.store.models import Base, EventRow

TABLES = {"document", "referral", "orders", "authorization", "event"}


def test_upgrade_downgrade_upgrade(empty_database: Database) -> None:
    engine = empty_database.engine
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision() == "0001_initial"
    assert set(sa.inspect(engine).get_table_names()) >= TABLES
    db.downgrade(engine)
    assert db.current_revision(engine) is None
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    db.ensure_schema(engine)  # from nothing to head again (idempotent afterwards)
    db.ensure_schema(engine)
    assert db.current_revision(engine) == "0001_initial"


def test_migrated_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_event_log_is_append_only_in_the_database(database: Database) -> None:
    with database.factory() as s:
        s.add(EventRow(at=datetime(2026, 1, 1, tzinfo=UTC), actor="t", action="x", entity="document", entity_id=1))
        s.commit()
    for statement in ("UPDATE event SET actor = 'mallory'", "DELETE FROM event"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), database.engine.begin() as conn:
            conn.execute(sa.text(statement))
    with database.factory() as s:
        assert s.scalars(sa.select(EventRow.actor)).all() == ["t"]


def test_migrations_are_found_inside_the_package() -> None:
    assert (db.MIGRATIONS_DIR / "env.py").is_file()
    assert db.MIGRATIONS_DIR.parent.name == "store" and db.MIGRATIONS_DIR.parent.parent.name == "cardio_intake"
    cfg = db.alembic_config(db.make_engine("sqlite:///:memory:"))
    assert cfg.config_file_name is None  # built in code, no alembic.ini needed


def test_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db.database_url() == f"sqlite:///{db.DEFAULT_DB_PATH}"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/intake")
    assert db.database_url() == "postgresql+psycopg://u@db:5432/intake"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/intake")
    assert db.database_url() == "postgresql+psycopg://u@db/intake"
    with pytest.raises(ValueError, match="schema name"):
        db.make_engine("postgresql+psycopg://u@db/x", schema="x; drop table y")


def test_timestamps_must_be_timezone_aware(database: Database) -> None:
    with database.factory() as s:
        s.add(EventRow(at=datetime(2026, 1, 1), actor="t", action="x", entity="d", entity_id=1))
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            s.commit()
