"""Engine, sessions and migrations.

The database is a SQLite file under the data folder unless ``DATABASE_URL`` names another one
(production: PostgreSQL). Migrations ship inside the package and run through ``alembic.command`` with
a Config built here, so they work from an installed wheel with no alembic.ini on disk.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from cardio_intake import config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_DB_PATH = config.DATA_DIR / "intake.db"
DOCUMENTS_DIR = config.DATA_DIR / "documents"


def database_url() -> str:
    """``DATABASE_URL`` if set (``postgresql://`` is read as psycopg 3), else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{DEFAULT_DB_PATH}"
    # Only psycopg 3 is installed; plain postgresql:// would make SQLAlchemy look for psycopg2.
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def make_engine(url: str | None = None, *, schema: str | None = None, echo: bool = False) -> Engine:
    """An engine for ``url``; ``schema`` (PostgreSQL) puts every table in that schema via search_path."""
    url = url or database_url()
    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Concurrent intakes wait for the write lock instead of failing at once.
        connect_args = {"timeout": 30, "check_same_thread": False}
    elif schema:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
            raise ValueError(f"schema name {schema!r} must be lower-case letters, digits and _")
        connect_args = {"options": f"-csearch_path={schema}"}
    engine = create_engine(url, echo=echo, connect_args=connect_args, pool_pre_ping=True)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: views built from rows stay readable after the intake commits.
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- migrations ------------------------------------------------------------------------------


def alembic_config(engine: Engine) -> Any:
    """An Alembic Config pointing at the packaged migrations, bound to ``engine``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The URL is only informative (env.py uses the engine); '%' must be escaped for configparser.
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=True).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    cfg_script = ScriptDirectory(str(MIGRATIONS_DIR))
    return cfg_script.get_current_head()


def ensure_schema(engine: Engine) -> None:
    """Upgrade to head when the database is behind (cheap when it is current)."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
