"""Confidence calibration and decision thresholds, fitted on the validation split.

Temperature scaling (Guo et al., 2017): one scalar per head divides the logits so that softmax /
sigmoid probabilities match observed frequencies; it never changes an argmax. The negative
log-likelihood is convex in 1/T, hence unimodal in log T, so a golden-section search over log T is
exact enough and needs no optimizer state.

Thresholds: for each field and intent, the lowest confidence at which the validation precision is
still at least the target (the most automation that keeps errors rare). Intents are *listed* at a
separate, F1-optimal threshold, since listing is what intent F1 measures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from cardio_intake.extraction.entities import FieldSelection, TagDecoding
from cardio_intake.extraction.order_intents import OrderIntentModel
from cardio_intake.labels import CRITICAL_FIELDS, FIELD_NAMES, INTENTS

# --- probabilities --------------------------------------------------------------------------------


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # type: ignore[no-any-return]  # overflow-free form


def nll(logits: np.ndarray, targets: np.ndarray, temperature: float = 1.0, multilabel: bool = False) -> float:
    """Mean negative log-likelihood: softmax over classes (targets: class ids), or independent
    sigmoids (targets: 0/1 matrix of the logits' shape)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    if multilabel:
        y = np.asarray(targets, dtype=np.float64)
        # log(1 + exp(-|z|)) form of the binary cross-entropy, stable for large |z|
        loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        return float(loss.mean())
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    idx = np.asarray(targets, dtype=np.int64)
    return float(-logp[np.arange(len(idx)), idx].mean())


def fit_temperature(
    logits: np.ndarray, targets: np.ndarray, multilabel: bool = False, bounds: tuple[float, float] = (0.05, 20.0)
) -> float:
    """The temperature that minimizes validation NLL (golden-section search on log T)."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.size == 0:
        return 1.0
    lo, hi = math.log(bounds[0]), math.log(bounds[1])
    inv_phi = (math.sqrt(5) - 1) / 2

    def f(log_t: float) -> float:
        return nll(logits, targets, math.exp(log_t), multilabel)

    a, b = lo, hi
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(60):  # interval shrinks to ~1e-12 of log-range
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - inv_phi * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + inv_phi * (b - a)
            fd = f(d)
    best = (a + b) / 2
    # Never return something worse than leaving the model alone.
    return float(math.exp(best)) if f(best) <= f(0.0) else 1.0


#: Scores or flags as a list or a numpy vector.
ArrayLike = Sequence[float] | Sequence[bool] | np.ndarray

# --- thresholds -----------------------------------------------------------------------------------


def threshold_for_precision(
    scores: ArrayLike, correct: ArrayLike, target: float, min_support: int = 1
) -> float | None:
    """The lowest threshold t such that the items scoring >= t are correct at least ``target`` of
    the time (and number at least ``min_support``). ``None`` when no threshold reaches the target."""
    s = np.asarray(scores, dtype=np.float64)
    c = np.asarray(correct, dtype=bool)
    if s.size == 0:
        return None
    order = np.argsort(-s, kind="stable")
    s, c = s[order], c[order]
    tp = np.cumsum(c)
    n = np.arange(1, len(s) + 1)
    precision = tp / n
    best: float | None = None
    for i in range(len(s)):
        # only cut between distinct scores: items with equal score pass or fail together
        if i + 1 < len(s) and s[i + 1] == s[i]:
            continue
        if precision[i] >= target and n[i] >= min_support:
            best = float(s[i])
    return best


def threshold_for_f1(scores: ArrayLike, positive: ArrayLike, default: float = 0.5) -> float:
    """The threshold maximizing F1 of ``score >= t``; midway between the cut's neighbours so it is
    not glued to one validation example. ``default`` when there are no positives."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(positive, dtype=bool)
    if s.size == 0 or not y.any():
        return default
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    tp = np.cumsum(y)
    n = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (n + y.sum())
    valid = np.r_[s[1:] != s[:-1], True]
    f1 = np.where(valid, f1, -1.0)
    i = int(np.argmax(f1))
    nxt = s[i + 1] if i + 1 < len(s) else 0.0
    return float((s[i] + nxt) / 2)


# --- the artifact -------------------------------------------------------------------------------


class Calibration(BaseModel):
    """Temperatures and thresholds saved beside the model (``calibration.json``). The defaults are
    the identity: raw probabilities, 0.5 to list an intent, no field threshold."""

    model_config = ConfigDict(extra="forbid")

    tag_temperature: float = Field(default=1.0, gt=0)
    page_type_temperature: float = Field(default=1.0, gt=0)
    intent_temperature: float = Field(default=1.0, gt=0)
    intent_thresholds: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(INTENTS, 0.5), description="listing threshold per intent"
    )
    intent_review_thresholds: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(INTENTS, 0.5),
        description="a listed intent below this sends the referral to review (low_confidence:intent)",
    )
    field_thresholds: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(FIELD_NAMES, 0.0),
        description="critical fields below: review; other fields below: dropped",
    )
    span_reduce: str = Field(default="mean", pattern="^(mean|min)$")
    tag_decoding: TagDecoding = Field(
        default="argmax",
        description="word tags: each word's most probable tag, the most probable valid BIO sequence, or that "
        "with adjacent words of a single-valued field joined into one value (fitted on validation with the "
        "'O' offset; argmax for calibrations saved before it existed)",
    )
    tag_o_offset: float = Field(
        default=0.0,
        description="added to the 'O' tag logit before the softmax: undoes the recall bias of a down-weighted "
        "'O' in training (fitted on validation entity F1 and field exact match)",
    )
    split_min_confidence: float = Field(
        default=0.5, ge=0.0, le=1.01,
        description="a patient name/DOB must be this sure to start a new referral (fitted on validation splits)",
    )
    field_selection: FieldSelection = Field(
        default="confidence",
        description="a single-valued field read several times: the most confident value, or the value the "
        "readings back most (similarity-weighted confidence; fitted on validation field exact match)",
    )
    cpt_intent_fusion: bool = Field(
        default=False,
        description="an intent's confidence is the noisy-OR of the intent head and the most confident valid CPT "
        "code of the referral in that intent's contract range (fitted on validation intent F1)",
    )
    order_intents: OrderIntentModel | None = Field(
        default=None,
        description="order-line model: P(intent | PROCEDURE span text), fitted on the training split's gold spans",
    )
    order_intent_fusion: bool = Field(
        default=False,
        description="an intent's confidence also takes (noisy-OR) its strongest order line: span confidence x "
        "the order-line model's probability (fitted on validation intent F1)",
    )
    printed_order_fallback: bool = Field(
        default=True,
        description="a referral the model lists no intent for, or whose orders the tagger read none of, takes the "
        "intents its printed CPT codes or service names say (extraction/printed_orders.py), still sent to review; "
        "not fitted: an empty list is always wrong, and a listing no read order backs is the head's guess",
    )
    top_intent_fallback: bool = Field(
        default=False,
        description="a referral with no intent listed even after the printed-order fallback takes its likeliest "
        "intent (extraction/build.py top_intent), still sent to review; fitted on validation: on where such guesses "
        "are right more often than wrong (fit.fit_top_intent_fallback)",
    )
    printed_payer_fallback: bool = Field(
        default=True,
        description="a referral the tagger finds no payer on takes the longest carrier name of the payer directory "
        "printed on its pages (extraction/printed_payer.py), at the tagger's own payer probability for those words, "
        "so still sent to review; not fitted",
    )
    printed_member_id_fallback: bool = Field(
        default=True,
        description="a referral the tagger finds no member ID on, whose payer's ID shapes are known, takes the one "
        "word of its pages of such a shape that is no phone number, date or other tagged value "
        "(extraction/printed_member_id.py), still sent to review; not fitted",
    )
    unsupported_intent_veto: bool = Field(
        default=True,
        description="where a referral's orders are read (a CPT code or order line names an intent at 0.8 or more), "
        "an intent that no code or order line of the referral supports (both under 0.3) is not listed unless the intent "
        "head alone is at 0.99, and the referral goes to review (extraction/build.py intent_listing); not fitted",
    )
    split_lines: bool = Field(
        default=True,
        description="a PROCEDURE or DIAGNOSIS span that runs over two text lines is one span per line "
        "(extraction/lines.py), two such spans the tagger cut inside a wrapped item join, as do two on one line whose second "
        "goes on in lower case ('Near' | 'syncope'), and an item's trailing 'and' is dropped "
        "(entities._list_items_mended); any span ends where the reading jumps up to another "
        "column's line (entities._cut_at_rises), and two touching pieces of one value on a line join "
        "(entities._one_value_per_line_run); not fitted: a list prints one item per line",
    )
    complete_payers: bool = Field(
        default=True,
        description="a payer span grows by up to two words on its line to the payer directory name it is part of "
        "(payer_words.complete_payer); not fitted",
    )
    retype_invalid_spans: bool = Field(
        default=True,
        description="a span whose text is no valid value of its tagged type (nine digits tagged as an NPI) takes the "
        "most probable other type it is valid as, at the tagger's probability for that type "
        "(entities._retype_invalid); not fitted",
    )
    drop_non_values: bool = Field(
        default=True,
        description="a name, payer or urgency span whose text is no valid value of its type (a form's label: "
        "'Fecha de nacimiento', 'médico', 'PRE-SERVICE'), an urgency that names an urgent-care centre, a diagnosis "
        "or procedure of heading words alone ('(ICD-10) and', 'Cardiology'), a form's item number ('5.') or a member "
        "ID or group number that is a word ('miembro') is not an entity (entities._drop_non_values), labels at the end of a diagnosis, order or name leave it ('ICD-10', "
        "'Fax:'; entities._labels_trimmed), and a name span ends where the name does: before a label on the next line, "
        "without trailing specks the name's normaliser drops (entities._name_edges_mended); not fitted",
    )
    orders_on_order_pages: bool = Field(
        default=True,
        description="no order, CPT code, diagnosis, ICD-10 code or urgency is read on a page typed as a clinical note "
        "or a test result: they name these as history (extraction/build.py page_spans); not fitted",
    )
    printed_dob_fallback: bool = Field(
        default=True,
        description="a referral the tagger finds no date of birth on takes the one valid date printed within two "
        "words after its patient name, on its line or the next, in words the tagger left untagged "
        "(extraction/printed_dob.py), still sent to review; not fitted",
    )
    printed_codes_ordered: bool = Field(
        default=True,
        description="a CPT code printed on a referral's pages that are not history, in a contract range or one OCR "
        "slip from one, lists its intent where the model did not (none where the codes name more than a referral "
        "orders), still sent to review (extraction/printed_orders.py printed_code_intents); not fitted",
    )
    tag_repeats: bool = Field(
        default=True,
        description="the exact words of a name, date of birth, phone, MRN, member or group ID, referring provider, NPI or "
        "fax span printed again untagged or tagged cut short, on any page, are that entity again, and words read as two "
        "of these types take the surer one (extraction/repeats.py); not fitted",
    )
    merge_orderless_referrals: bool = Field(
        default=True,
        description="in the multi-patient split, a run of pages with no referral-order page (a card, a note, a page "
        "whose patient name OCR garbled) joins the referral before it instead of standing alone "
        "(split.merge_orderless); not fitted: every referral orders something",
    )
    known_payers_first: bool = Field(
        default=True,
        description="where some reading of the payer names a payer of the directory (policies/payers.yaml), the "
        "readings that name none are not candidates, nor listed as the referral's entities "
        "(entities.unknown_payers_dropped); not fitted",
    )
    target_precision: float = 0.98
    critical_fields: list[str] = Field(default_factory=lambda: list(CRITICAL_FIELDS))
    fitted: dict[str, float] = Field(
        default_factory=dict, description="fit diagnostics: NLL before/after per head, counts"
    )

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Calibration:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
