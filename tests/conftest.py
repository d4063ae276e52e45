"""Shared fixtures. Importing cardio_intake applies the runtime environment (offline, thread limits)."""

from __future__ import annotations

import cardio_intake  # noqa: F401  (settings first)

# Fixture modules shared by several test files (registered here so test files need not import them).
pytest_plugins = ["store_fixtures"]
