"""Inference on a loaded model: pages -> per-word logits (the batch entry point that serving batches
across requests), and a whole document -> ``RawDocumentOutput`` for post-processing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from cardio_intake.model.batching import EncodedPage, PageInput, collate_windows, encode_page
from cardio_intake.model.network import LayoutLMReferralModel
from cardio_intake.model.outputs import RawDocumentOutput, RawPageOutput
from cardio_intake.model.spec import ModelSpec
from cardio_intake.model.windows import merge_word_logits

#: Referral split from the pages' outputs (0-based page indices per referral).
SplitFn = Callable[[Sequence[RawPageOutput]], list[list[int]]]


@dataclass
class PageLogits:
    tag_logits: np.ndarray  # (n_words, n_tags)
    page_type_logits: np.ndarray  # (n_page_types,)
    page_repr: np.ndarray  # (hidden,): pooled page representation, input of the intent head


class ReferralEncoder:
    """A model, its tokenizer and spec, in eval mode; thread-compatible for one caller at a time."""

    def __init__(self, model: LayoutLMReferralModel, tokenizer: Any, spec: ModelSpec, max_windows: int = 16) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.spec = spec
        #: windows per forward pass; bounds memory on long packets
        self.max_windows = max_windows

    def prepare(self, page: PageInput) -> EncodedPage:
        return encode_page(self.tokenizer, page, self.spec.max_len, self.spec.stride)

    @torch.inference_mode()
    def encode_pages(self, pages: Sequence[PageInput]) -> list[PageLogits]:
        """Encoder-level batch entry point: any pages (from any documents) -> per-page logits.
        Windows are sorted by length and run ``max_windows`` at a time so padding stays small."""
        encoded = [self.prepare(p) for p in pages]
        flat = [(pi, wi) for pi, e in enumerate(encoded) for wi in range(len(e.windows))]
        flat.sort(key=lambda t: len(encoded[t[0]].windows[t[1]]))
        tag_out: dict[tuple[int, int], np.ndarray] = {}
        pooled_sum = np.zeros((len(pages), self.spec.encoder.hidden_size), dtype=np.float64)
        counts = np.zeros(len(pages), dtype=np.float64)
        for start in range(0, len(flat), self.max_windows):
            chunk = flat[start : start + self.max_windows]
            # one pseudo-page per window so that collate keeps them apart
            batch = collate_windows(
                [EncodedPage(encoded[pi].aligned, [encoded[pi].windows[wi]]) for pi, wi in chunk],
                pad_id=self.tokenizer.pad_token_id or 0,
            )
            enc = self.model.encode(batch.input_ids, batch.bbox, batch.attention_mask)
            logits = enc.tag_logits.float().numpy()
            pooled = enc.pooled.double().numpy()
            n_tok = enc.n_tokens.double().numpy()
            for k, (pi, wi) in enumerate(chunk):
                tag_out[(pi, wi)] = logits[k, : batch.lengths[k]]
                pooled_sum[pi] += pooled[k] * n_tok[k]
                counts[pi] += n_tok[k]
        page_repr = pooled_sum / np.maximum(counts, 1.0)[:, None]
        page_types = (
            self.model.page_type_logits(torch.from_numpy(page_repr).float()).numpy()
            if len(pages)
            else np.zeros((0, len(self.spec.page_types)))
        )
        out = []
        for pi, e in enumerate(encoded):
            words = merge_word_logits(e.aligned, e.windows, [tag_out[(pi, wi)] for wi in range(len(e.windows))])
            out.append(PageLogits(words, page_types[pi], page_repr[pi].astype(np.float32)))
        return out

    @torch.inference_mode()
    def intent_logits(self, page_reprs: Sequence[np.ndarray], referral_pages: list[list[int]]) -> list[np.ndarray]:
        if not referral_pages:
            return []
        reps = torch.from_numpy(np.stack(page_reprs)).float()
        return list(self.model.intent_logits(reps, referral_pages).numpy())

    def assemble(
        self,
        pages: Sequence[PageInput],
        logits: Sequence[PageLogits],
        split: SplitFn | None = None,
        model_version: str = "unregistered",
    ) -> RawDocumentOutput:
        """One document's page logits (from :meth:`encode_pages`, possibly batched with other
        documents) -> referral split, intents pooled per referral -> ``RawDocumentOutput``."""
        raw_pages = [
            RawPageOutput(
                words=list(p.words),
                boxes=[tuple(int(v) for v in b) for b in p.boxes],  # type: ignore[misc]
                tag_logits=lg.tag_logits,
                page_type_logits=lg.page_type_logits,
            )
            for p, lg in zip(pages, logits, strict=True)
        ]
        referral_pages = split(raw_pages) if split and raw_pages else ([list(range(len(pages)))] if pages else [])
        intents = self.intent_logits([lg.page_repr for lg in logits], referral_pages)
        return RawDocumentOutput(raw_pages, referral_pages, intents, model_version=model_version)

    def raw_document(
        self, pages: Sequence[PageInput], split: SplitFn | None = None, model_version: str = "unregistered"
    ) -> RawDocumentOutput:
        """Encode, split into referrals (``split``; default: one referral), pool intents per referral."""
        return self.assemble(pages, self.encode_pages(pages), split, model_version)
