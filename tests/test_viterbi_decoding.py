"""Constrained (valid-BIO) Viterbi decoding of per-word tag probabilities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cardio_intake.extraction.entities import decode_page, viterbi_tags
from cardio_intake.labels import BIO_LABELS


def is_valid_bio(ids: list[int]) -> bool:
    prev = "O"
    for i in ids:
        lab = BIO_LABELS[i]
        if lab.startswith("I-") and prev[2:] != lab[2:]:
            return False
        prev = lab
    return True


def probs_for(tags: list[str], sure: float = 0.9) -> np.ndarray:
    p = np.full((len(tags), len(BIO_LABELS)), (1 - sure) / (len(BIO_LABELS) - 1))
    for i, t in enumerate(tags):
        p[i, BIO_LABELS.index(t)] = sure
    return p


def test_valid_argmax_is_kept() -> None:
    tags = ["O", "B-PROCEDURE", "I-PROCEDURE", "O", "B-CPT", "B-ICD10", "I-ICD10"]
    assert [BIO_LABELS[i] for i in viterbi_tags(probs_for(tags))] == tags


def test_a_leading_i_becomes_a_valid_start() -> None:
    p = probs_for(["I-PAYER", "I-PAYER"])
    p[0, BIO_LABELS.index("B-PAYER")] = 0.05  # B a distant second: still chosen, as I- cannot start
    assert [BIO_LABELS[i] for i in viterbi_tags(p)] == ["B-PAYER", "I-PAYER"]


def test_a_type_flip_inside_a_span_takes_the_span_majority() -> None:
    p = probs_for(["B-PROCEDURE", "I-PROCEDURE", "I-PROCEDURE", "I-PROCEDURE"])
    p[2] = 0.0
    p[2, BIO_LABELS.index("I-DIAGNOSIS")], p[2, BIO_LABELS.index("I-PROCEDURE")] = 0.5, 0.4
    p[2, 0] = 0.1
    words = ["Cardiac", "stress", "echo", "study"]
    boxes = [(10 * i, 0, 10 * i + 9, 10) for i in range(4)]
    assert [(s.type, s.text) for s in decode_page(words, boxes, p, 1, decoding="viterbi")] == [
        ("PROCEDURE", "Cardiac stress echo study")
    ]
    assert len(decode_page(words, boxes, p, 1, decoding="argmax")) == 3


def test_empty_page() -> None:
    assert viterbi_tags(np.zeros((0, len(BIO_LABELS)))) == []


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_over_a_small_tag_set(seed: int) -> None:
    """On random probabilities where only five tags are possible, the decoded path is the valid BIO
    sequence with the highest product of probabilities (checked by enumerating all of them)."""
    rng = np.random.default_rng(seed)
    live = [0, BIO_LABELS.index("B-CPT"), BIO_LABELS.index("I-CPT"), BIO_LABELS.index("B-ICD10"),
            BIO_LABELS.index("I-ICD10")]
    n = 5
    p = np.zeros((n, len(BIO_LABELS)))
    p[:, live] = rng.dirichlet(np.ones(len(live)), size=n)
    got = viterbi_tags(p)
    assert is_valid_bio(got)
    best = max(
        (seq for seq in itertools.product(live, repeat=n) if is_valid_bio(list(seq))),
        key=lambda seq: float(np.sum(np.log(p[np.arange(n), list(seq)]))),
    )
    assert got == list(best)


def test_joined_decoding_keeps_an_ocr_split_value_whole_but_not_list_items() -> None:
    """"518 804 0628" read as three B-PROVIDER_FAX words is one fax number; two adjacent CPT codes
    stay two codes (a list field's values may touch)."""
    words = ["Fax", "518", "804", "0628", "93306", "93351"]
    boxes = [(60 * i, 0, 60 * i + 50, 10) for i in range(len(words))]
    p = probs_for(["O", "B-PROVIDER_FAX", "B-PROVIDER_FAX", "B-PROVIDER_FAX", "B-CPT", "B-CPT"], sure=0.6)
    for i in (2, 3):
        p[i, BIO_LABELS.index("I-PROVIDER_FAX")] = 0.3  # I- a clear second
    joined = [(s.type, s.text) for s in decode_page(words, boxes, p, 1, decoding="viterbi_joined")]
    assert joined == [("PROVIDER_FAX", "518 804 0628"), ("CPT", "93306"), ("CPT", "93351")]
    plain = [(s.type, s.text) for s in decode_page(words, boxes, p, 1, decoding="viterbi")]
    assert plain[:3] == [("PROVIDER_FAX", "518"), ("PROVIDER_FAX", "804"), ("PROVIDER_FAX", "0628")]


@pytest.mark.parametrize("seed", range(4))
def test_joined_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    live = [0, BIO_LABELS.index("B-MRN"), BIO_LABELS.index("I-MRN"), BIO_LABELS.index("B-CPT"), BIO_LABELS.index("I-CPT")]
    n = 5
    p = np.zeros((n, len(BIO_LABELS)))
    p[:, live] = rng.dirichlet(np.ones(len(live)), size=n)

    def ok(seq: tuple[int, ...]) -> bool:
        labs = [BIO_LABELS[i] for i in seq]
        return is_valid_bio(list(seq)) and not any(
            b == "B-MRN" and a in ("B-MRN", "I-MRN") for a, b in itertools.pairwise(labs)
        )

    best = max((s for s in itertools.product(live, repeat=n) if ok(s)),
               key=lambda s: float(np.sum(np.log(p[np.arange(n), list(s)]))))
    assert viterbi_tags(p, join_single_valued=True) == list(best)
