"""Paths used across the project (cookiecutter-data-science style: one module, overridable by env)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


#: Read-only shared material (contract, datasets, reference lists) that sits beside the checkout.
SHARED_DIR = _env_path("CARDIO_SHARED_DIR", PROJECT_ROOT.parent / "shared")
DATA_DIR = _env_path("CARDIO_DATA_DIR", PROJECT_ROOT / "data")
MODELS_DIR = _env_path("CARDIO_MODELS_DIR", PROJECT_ROOT / "models")

CORPUS_DIR = DATA_DIR / "corpus"
DATASET_DIR = DATA_DIR / "dataset"
REPORTS_DIR = PROJECT_ROOT / "evaluation" / "reports"
POLICIES_DIR = _env_path("CARDIO_POLICIES_DIR", PROJECT_ROOT / "cardio_intake" / "policies")

#: The clinical-note bodies of the corpus (CC0), shipped in the package so that a clone anywhere can generate it.
MTSAMPLES_CSV = _env_path(
    "CARDIO_MTSAMPLES_CSV", PROJECT_ROOT / "cardio_intake" / "resources" / "mtsamples_cardio" / "mtsamples_cardio.csv"
)
SYNTHEA_DIR = SHARED_DIR / "datasets" / "synthea_cardio"
FUNSD_DIR = SHARED_DIR / "datasets" / "funsd"
PRIOR_AUTH_DIR = SHARED_DIR / "reference" / "prior_auth"
CONTRACT_MD = SHARED_DIR / "CONTRACT.md"

MLFLOW_TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{PROJECT_ROOT / 'mlflow.db'}")
REGISTERED_MODEL_NAME = "cardio-intake-referral"
CHAMPION_ALIAS = "champion"
