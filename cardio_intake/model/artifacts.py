"""The model directory: everything a predictor needs, in one folder (logged to MLflow as the pyfunc's
artifact, and loadable straight from disk)::

    spec.json             ModelSpec (encoder shape, label sets, heads, windowing)
    weights.safetensors   the whole multi-task model's state dict
    tokenizer/            the tokenizer, saved with the model (offline, no hub)
    calibration.json      temperatures and thresholds (cardio_intake.extraction.calibration)
    labels.json           label maps (id order), for people and other tools
    members/<k>/          an ensemble's further members (spec.json + weights.safetensors each); the
                          predictor averages their logits with the first's, and calibration.json
                          was fitted on that average
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
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
MEMBERS = "members"


@dataclass
class LoadedModel:
    model: LayoutLMReferralModel
    tokenizer: Any
    spec: ModelSpec
    calibration: Calibration
    #: an ensemble's members after ``model`` (same spec and tokenizer); empty for one model
    members: list[LayoutLMReferralModel] = field(default_factory=list)


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


def _read_spec(path: Path) -> ModelSpec:
    return ModelSpec.model_validate_json((path / SPEC).read_text(encoding="utf-8"))


def _load_network(path: Path) -> LayoutLMReferralModel:
    from safetensors.torch import load_file

    model = LayoutLMReferralModel(_read_spec(path))
    model.load_state_dict(load_file(str(path / WEIGHTS)), strict=True)
    return model.eval()


def member_dirs(path: Path) -> list[Path]:
    """An ensemble's further members, in order (``members/1``, ``members/2``, ...)."""
    root = path / MEMBERS
    if not root.is_dir():
        return []
    return sorted((d for d in root.iterdir() if is_model_dir(d)), key=lambda d: (len(d.name), d.name))


def load_model_dir(path: Path) -> LoadedModel:
    if not is_model_dir(path):
        raise FileNotFoundError(f"{path} is not a model directory (needs {SPEC} and {WEIGHTS})")
    model = _load_network(path)
    cal_file = path / CALIBRATION
    calibration = Calibration.load(cal_file) if cal_file.is_file() else Calibration()
    members = [_load_network(d) for d in member_dirs(path)]
    return LoadedModel(model, load_tokenizer(path / TOKENIZER), model.spec, calibration, members)


def save_ensemble_dir(out: Path, sources: list[Path]) -> Path:
    """A model directory whose predictor averages the models in ``sources`` (model directories of
    one spec): the first is copied whole (its calibration stays until refitted on the average), the
    others' spec and weights go under ``members/``."""
    if len(sources) < 2:
        raise ValueError("an ensemble needs two or more model directories")
    for src in sources:
        if not is_model_dir(src):
            raise FileNotFoundError(f"{src} is not a model directory (needs {SPEC} and {WEIGHTS})")
        if member_dirs(src):
            raise ValueError(f"{src} is itself an ensemble: list its members instead")
    first = _read_spec(sources[0])
    for src in sources[1:]:
        spec = _read_spec(src)
        if spec.model_dump(exclude={"base_model"}) != first.model_dump(exclude={"base_model"}):
            raise ValueError(f"{src}'s spec differs from {sources[0]}'s: members must share one spec")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(sources[0], out)
    for k, src in enumerate(sources[1:], start=1):
        member = out / MEMBERS / str(k)
        member.mkdir(parents=True)
        shutil.copy2(src / SPEC, member / SPEC)
        shutil.copy2(src / WEIGHTS, member / WEIGHTS)
    return out


def state_dict_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
