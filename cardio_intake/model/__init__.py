"""The layout-aware referral model (LayoutLM multi-task) and what it hands to post-processing.

``from cardio_intake.model import load_predictor`` works without importing torch until it is called.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Predictor", "load_predictor"]


def __getattr__(name: str) -> Any:
    # lazy: torch and transformers load only when a predictor is actually wanted
    if name in __all__:
        from cardio_intake.model import predictor

        return getattr(predictor, name)
    raise AttributeError(name)
