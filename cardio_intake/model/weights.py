"""Load a BERT- or LayoutLM-compatible checkpoint into the LayoutLM encoder.

MiniLM's checkpoint (a sentence-transformers BertModel) stores keys without the ``bert.`` prefix;
task checkpoints store them under ``bert.``/``layoutlm.``. Either way the encoder's names are the
same as BERT's except for LayoutLM's four 2D position tables, which are the only keys a BERT
checkpoint may lack. Anything else missing means the checkpoint is not what it claims to be.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from cardio_intake.model.spec import EncoderShape

log = logging.getLogger(__name__)

#: Keys LayoutLM has and BERT does not: they start untrained (zero, see network.py).
LAYOUT_ONLY_KEYS = frozenset(
    f"embeddings.{axis}_position_embeddings.weight" for axis in ("x", "y", "h", "w")
)
_PREFIXES = ("bert.", "layoutlm.", "model.", "encoder_model.")
#: Task heads and buffers that a checkpoint may carry and the encoder does not use.
_IGNORED = ("cls.", "classifier.", "qa_outputs.", "lm_head.", "embeddings.position_ids")


@dataclass
class LoadReport:
    loaded: int
    missing: list[str]
    unexpected: list[str]
    ignored: list[str]


def map_checkpoint_keys(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Encoder state dict from a checkpoint's: strip the model prefix, drop heads and buffers.
    Returns the mapped dict and the keys it ignored."""
    mapped: dict[str, torch.Tensor] = {}
    ignored: list[str] = []
    for key, value in state.items():
        name = key
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        if name.startswith(_IGNORED):
            ignored.append(key)
            continue
        mapped[name] = value
    return mapped, ignored


def read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """Weights of a local checkpoint directory (safetensors preferred, else pytorch_model.bin)."""
    st = path / "model.safetensors"
    if st.is_file():
        from safetensors.torch import load_file

        return load_file(str(st))
    pt = path / "pytorch_model.bin"
    if pt.is_file():
        return torch.load(pt, map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"no model.safetensors or pytorch_model.bin in {path}")


def encoder_shape_from(path: Path) -> EncoderShape:
    """The encoder shape from a checkpoint's config.json (BERT or LayoutLM)."""
    cfg_file = path / "config.json"
    if not cfg_file.is_file():
        raise FileNotFoundError(f"{path} has no config.json: not a BERT/LayoutLM checkpoint directory")
    cfg = json.loads(cfg_file.read_text())
    model_type = cfg.get("model_type", "")
    if model_type not in ("bert", "layoutlm"):
        raise ValueError(f"{path}: model_type {model_type!r} is not BERT or LayoutLM v1")
    return EncoderShape(**{k: cfg[k] for k in EncoderShape.model_fields if k in cfg})


def _layer_index(name: str) -> int | None:
    if name.startswith("encoder.layer."):
        return int(name.split(".")[2])
    return None


def load_encoder_weights(encoder: torch.nn.Module, path: Path, keep_layers: int | None = None) -> LoadReport:
    """Copy a checkpoint into ``encoder`` (a transformers LayoutLMModel) and check what is missing.
    ``keep_layers``: the encoder was built with only the first N layers; deeper ones are ignored."""
    mapped, ignored = map_checkpoint_keys(read_checkpoint(path))
    if keep_layers is not None:
        for name in [k for k in mapped if (_layer_index(k) or 0) >= keep_layers]:
            del mapped[name]
            ignored.append(name)
    result = encoder.load_state_dict(mapped, strict=False)
    missing, unexpected = sorted(result.missing_keys), sorted(result.unexpected_keys)
    report = LoadReport(len(mapped) - len(unexpected), missing, unexpected, ignored)
    log.info(
        "loaded %d tensors from %s; missing %s; unexpected %s; ignored %s",
        report.loaded, path, missing, unexpected, ignored,
    )
    if set(missing) - LAYOUT_ONLY_KEYS:
        raise ValueError(f"{path}: checkpoint lacks encoder weights {sorted(set(missing) - LAYOUT_ONLY_KEYS)}")
    if unexpected:
        raise ValueError(f"{path}: checkpoint has weights the encoder does not know: {unexpected[:8]}")
    return report
