"""Inference on a loaded model: pages -> per-word logits (the batch entry point that serving batches
across requests), and a whole document -> ``RawDocumentOutput`` for post-processing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from cardio_intake.model.batching import EncodedPage, PageInput, collate_windows, encode_page
from cardio_intake.model.network import LayoutLMReferralModel, merge_token_attention
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
    #: intent_pooling "tokens": the page's per-intent attention mass (log-sum-exp) and pooled states
    intent_lse: np.ndarray | None = None  # (n_intents,)
    intent_pooled: np.ndarray | None = None  # (n_intents, hidden)
    #: an ensemble's page: each member's own logits (their intent states live in different spaces)
    members: tuple[PageLogits, ...] = ()


class PageEncoder:
    """What a predictor needs of an encoder: pages -> logits, referrals -> intent logits, and the
    assembly of both into a ``RawDocumentOutput`` (shared by one model and an ensemble)."""

    spec: ModelSpec

    def encode_pages(self, pages: Sequence[PageInput]) -> list[PageLogits]:
        raise NotImplementedError

    def intent_logits(self, logits: Sequence[PageLogits], referral_pages: list[list[int]]) -> list[np.ndarray]:
        raise NotImplementedError

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
        intents = self.intent_logits(logits, referral_pages)
        return RawDocumentOutput(raw_pages, referral_pages, intents, model_version=model_version)

    def raw_document(
        self, pages: Sequence[PageInput], split: SplitFn | None = None, model_version: str = "unregistered"
    ) -> RawDocumentOutput:
        """Encode, split into referrals (``split``; default: one referral), pool intents per referral."""
        return self.assemble(pages, self.encode_pages(pages), split, model_version)


class ReferralEncoder(PageEncoder):
    """A model, its tokenizer and spec, in eval mode; thread-compatible for one caller at a time."""

    def __init__(self, model: LayoutLMReferralModel, tokenizer: Any, spec: ModelSpec, max_windows: int = 16) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.spec = spec
        #: windows per forward pass; bounds memory on long packets
        self.max_windows = max_windows

    def prepare(self, page: PageInput) -> EncodedPage:
        return encode_page(self.tokenizer, page, self.spec.max_len, self.spec.stride, self.spec.box_level)

    @torch.inference_mode()
    def encode_pages(self, pages: Sequence[PageInput]) -> list[PageLogits]:
        """Encoder-level batch entry point: any pages (from any documents) -> per-page logits.
        Windows are sorted by length and run ``max_windows`` at a time so padding stays small."""
        encoded = [self.prepare(p) for p in pages]
        flat = [(pi, wi) for pi, e in enumerate(encoded) for wi in range(len(e.windows))]
        flat.sort(key=lambda t: len(encoded[t[0]].windows[t[1]]))
        tag_out: dict[tuple[int, int], np.ndarray] = {}
        pooled_sum = np.zeros((len(pages), self.spec.encoder.hidden_size), dtype=np.float64)
        attention: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}
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
                if enc.intent_lse is not None and enc.intent_pooled is not None:
                    attention[(pi, wi)] = (enc.intent_lse[k], enc.intent_pooled[k])
        page_repr = pooled_sum / np.maximum(counts, 1.0)[:, None]
        page_types = (
            self.model.page_type_logits(torch.from_numpy(page_repr).float()).numpy()
            if len(pages)
            else np.zeros((0, len(self.spec.page_types)))
        )
        out = []
        for pi, e in enumerate(encoded):
            words = merge_word_logits(e.aligned, e.windows, [tag_out[(pi, wi)] for wi in range(len(e.windows))])
            lse = pooled_intents = None
            if attention and e.windows:
                parts = [attention[(pi, wi)] for wi in range(len(e.windows))]
                merged = merge_token_attention(torch.stack([a for a, _ in parts]), torch.stack([b for _, b in parts]))
                lse, pooled_intents = merged[0].numpy(), merged[1].numpy()
            out.append(PageLogits(words, page_types[pi], page_repr[pi].astype(np.float32), lse, pooled_intents))
        return out

    @torch.inference_mode()
    def intent_logits(self, logits: Sequence[PageLogits], referral_pages: list[list[int]]) -> list[np.ndarray]:
        if not referral_pages:
            return []
        if self.spec.intent_pooling == "tokens":
            # a page without words has no attention state: it adds nothing to its referral's intents
            have = [i for i, lg in enumerate(logits) if lg.intent_lse is not None]
            if not have:
                return [np.zeros(len(self.spec.intents), dtype=np.float32) for _ in referral_pages]
            lse = torch.from_numpy(np.stack([np.asarray(logits[i].intent_lse) for i in have])).float()
            pooled = torch.from_numpy(np.stack([np.asarray(logits[i].intent_pooled) for i in have])).float()
            where = {page: k for k, page in enumerate(have)}
            groups = [[where[p] for p in pages if p in where] for pages in referral_pages]
            rows = [
                self.model.intent_logits_from_tokens(lse, pooled, [g])[0].numpy()
                if g else np.zeros(len(self.spec.intents), dtype=np.float32)
                for g in groups
            ]
            return rows
        reps = torch.from_numpy(np.stack([lg.page_repr for lg in logits])).float()
        return list(self.model.intent_logits(reps, referral_pages).numpy())


class EnsembleEncoder(PageEncoder):
    """Several models of one spec read the same pages; their logits are averaged (tags, page types,
    and each referral's intents, the latter pooled by each member's own head). Seeds of the same
    config disagree on single words and services; the mean keeps what they agree on."""

    def __init__(self, members: Sequence[ReferralEncoder]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one member")
        first = members[0].spec
        for m in members[1:]:
            same_windows = (m.spec.max_len, m.spec.stride) == (first.max_len, first.stride)
            if m.spec.label_maps() != first.label_maps() or not same_windows:
                raise ValueError("ensemble members must share label sets and windowing (max_len, stride)")
        self.members = list(members)
        self.spec = first

    def encode_pages(self, pages: Sequence[PageInput]) -> list[PageLogits]:
        per_member = [m.encode_pages(pages) for m in self.members]
        out = []
        for page in zip(*per_member, strict=True):
            out.append(PageLogits(
                tag_logits=np.mean([lg.tag_logits for lg in page], axis=0),
                page_type_logits=np.mean([lg.page_type_logits for lg in page], axis=0),
                page_repr=page[0].page_repr,
                members=tuple(page),
            ))
        return out

    def intent_logits(self, logits: Sequence[PageLogits], referral_pages: list[list[int]]) -> list[np.ndarray]:
        if not referral_pages:
            return []
        rows = [m.intent_logits([lg.members[k] for lg in logits], referral_pages) for k, m in enumerate(self.members)]
        return [np.mean(per_referral, axis=0) for per_referral in zip(*rows, strict=True)]
