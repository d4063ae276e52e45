"""The committed pass/fail gates (evaluation/thresholds.yaml) and how a report is judged by them."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

THRESHOLDS_YAML = Path(__file__).with_name("thresholds.yaml")


class Gate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Gate:
        if self.min is None and self.max is None:
            raise ValueError("a gate needs min or max")
        return self


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_error_for_automation: float = Field(0.01, gt=0, lt=1)
    gates: dict[str, Gate]


class Check(BaseModel):
    metric: str
    value: float | None
    min: float | None = None
    max: float | None = None
    passed: bool


def load_thresholds(path: Path = THRESHOLDS_YAML) -> Thresholds:
    try:
        return Thresholds.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{path}: invalid thresholds file: {exc}") from exc


def check(headline: dict[str, float], thresholds: Thresholds) -> list[Check]:
    """One check per gate; a figure the report lacks fails its gate (a gate must never pass silently)."""
    out = []
    for metric, gate in thresholds.gates.items():
        value = headline.get(metric)
        ok = value is not None and (gate.min is None or value >= gate.min) and (gate.max is None or value <= gate.max)
        out.append(Check(metric=metric, value=value, min=gate.min, max=gate.max, passed=ok))
    return out
