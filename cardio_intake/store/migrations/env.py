"""Alembic environment: the engine comes from the Config built in cardio_intake.store.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from cardio_intake.store.models import Base

target_metadata = Base.metadata
cfg = context.config


def run_migrations_offline() -> None:
    context.configure(url=cfg.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = cfg.attributes.get("engine") or create_engine(cfg.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        # render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
