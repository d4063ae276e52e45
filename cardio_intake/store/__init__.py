"""Durable workflow state: documents, referrals, orders and authorizations tracked to scheduling.

Modules: ``models`` (SQLAlchemy), ``db`` (engine, sessions, packaged Alembic migrations),
``lifecycle`` (authorization state machine), ``intake`` (durable, idempotent intake),
``updates`` (payer responses, re-triage), ``gate`` (scheduling gate), ``worklists``, ``monitor``.
"""
