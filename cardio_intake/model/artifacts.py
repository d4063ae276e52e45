"""The model directory: everything a predictor needs, in one folder (logged to MLflow as the pyfunc's
artifact, and loadable straight from disk)::

    spec.json             ModelSpec (encoder shape, label sets, heads, windowing)
    weights.safetensors   the whole multi-task model's state dict
    tokenizer/            the tokenizer, saved with the model (offline, no hub)
    calibration.json      temperatures and thresholds (cardio_intake.extraction.calibration)
    labels.json           label maps (id order), for people and other tools
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cardio_intake.extraction.calibration import Calibration
from cardio_intake.model.network import LayoutLMReferralModel
from cardio_intake.model.spec import ModelSpec

SPEC = "spec.json"
WEIGHTS = "weights.safetensors"
TOKENIZER = "tokenizer"
CALIBRATION = "calibration.json"
LABELS = "labels.json"


@dataclass
class LoadedModel:
    model: LayoutLMReferralModel
    tokenizer: Any
    spec: ModelSpec
    calibration: Calibration


def load_tokenizer(path: Path | str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def save_model_dir(
    out: Path, model: LayoutLMReferralModel, tokenizer: Any, calibration: Calibration | None = None
) -> Path:
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    (out / SPEC).write_text(model.spec.model_dump_json(indent=2), encoding="utf-8")
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out / WEIGHTS))
    tokenizer.save_pretrained(str(out / TOKENIZER))
    (calibration or Calibration()).save(out / CALIBRATION)
    (out / LABELS).write_text(json.dumps(model.spec.label_maps(), indent=2), encoding="utf-8")
    return out


def is_model_dir(path: Path) -> bool:
    return (path / SPEC).is_file() and (path / WEIGHTS).is_file()


def load_model_dir(path: Path) -> LoadedModel:
    from safetensors.torch import load_file

    if not is_model_dir(path):
        raise FileNotFoundError(f"{path} is not a model directory (needs {SPEC} and {WEIGHTS})")
    spec = ModelSpec.model_validate_json((path / SPEC).read_text(encoding="utf-8"))
    model = LayoutLMReferralModel(spec)
    model.load_state_dict(load_file(str(path / WEIGHTS)), strict=True)
    model.eval()
    cal_file = path / CALIBRATION
    calibration = Calibration.load(cal_file) if cal_file.is_file() else Calibration()
    return LoadedModel(model, load_tokenizer(path / TOKENIZER), spec, calibration)


def state_dict_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
