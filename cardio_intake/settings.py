"""The one place that sets the process environment for code, tests and CI.

Imported first by ``cardio_intake/__init__.py`` so that every entry point (CLI, training, serving,
pytest via conftest) runs offline, with tesseract limited to one OpenMP thread per process (it
otherwise oversubscribes the cores and runs ~7x slower when pages are OCR'd in parallel).

``OMP_THREAD_LIMIT=1`` goes to the tesseract subprocesses only (:data:`TESSERACT_ENV`, applied by
``cardio_intake.ingest.tesseract``), not to this process: torch's OpenMP runtime reads the same
variable when it loads and would otherwise train and predict on one core of two (measured: the
training process sat at 100% CPU on the 2-core machine, where it now uses both).
"""

from __future__ import annotations

import os

#: Environment every process of the project runs with. Values set by the caller win, so a site can
#: still point MLflow or Hugging Face somewhere else explicitly.
RUNTIME_ENV: dict[str, str] = {
    "BENTOML_DO_NOT_TRACK": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "1",
}

#: Environment added to every tesseract subprocess (N pool workers run N single-threaded tesseracts).
TESSERACT_ENV: dict[str, str] = {"OMP_THREAD_LIMIT": "1"}


def apply_runtime_env() -> None:
    """Set every variable of :data:`RUNTIME_ENV` that the caller has not set."""
    for key, value in RUNTIME_ENV.items():
        os.environ.setdefault(key, value)


def shell_exports() -> str:
    """The same environment as ``export`` lines, for shell scripts (``python -m cardio_intake.settings``);
    a script that only runs tesseract may add :data:`TESSERACT_ENV` itself."""
    return "\n".join(f"export {k}={v}" for k, v in RUNTIME_ENV.items())


apply_runtime_env()

if __name__ == "__main__":
    print(shell_exports())
