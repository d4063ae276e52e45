"""Intents read off the order lines: a linear model over the character n-grams of each PROCEDURE span
("TTE", "Lexiscan myocardial perfusion", "Zio XT"), fitted on the training split's gold spans as OCR
read them.

Why: the intent head pools a whole referral and has to learn thirteen labels from a hundred-odd
training referrals, several of them seen a handful of times. What a referral orders is written on its
order lines, and the wording of one line is a short, direct signal that character n-grams still read
when OCR damages it ("Transthoracic echocardiagram"), the way ``cpt_intent_evidence`` reads CPT codes.

Training pairs: a referral that orders one service labels all its PROCEDURE spans with that intent; in
a referral that orders several, each span takes the referral intent the single-order model scores
highest for it (one round of self-labelling), so "TTE" in a consult + echo referral is not taught as
a consult. The services' ``order_terms`` in ``policies/services.yaml`` (standard names and
abbreviations) join the pairs as one-line examples, so an intent the training split shows a few
times, or a wording it never shows, is still read.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from cardio_intake import config
from cardio_intake.extraction.entities import Span, union_box
from cardio_intake.extraction.lines import on_one_line
from cardio_intake.extraction.printed_orders import printed_term_intents
from cardio_intake.extraction.scoring import gold_from_row
from cardio_intake.labels import INTENTS
from cardio_intake.rules.models import ServicesFile

#: Character n-gram lengths, within word boundaries (padded with spaces), as sklearn's "char_wb".
NGRAMS = (2, 3, 4)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def ngram_features(text: str) -> dict[str, float]:
    """Binary character n-grams of the lower-cased words, L2-normalised (one order line -> one vector)."""
    grams: set[str] = set()
    for word in _NON_WORD.split(text.lower()):
        if not word:
            continue
        padded = f" {word} "
        for n in NGRAMS:
            grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    if not grams:
        return {}
    w = 1.0 / math.sqrt(len(grams))
    return dict.fromkeys(grams, w)


class OrderIntentModel(BaseModel):
    """Multinomial logistic regression: one weight per (n-gram, intent) that the training spans had."""

    model_config = ConfigDict(extra="forbid")

    labels: list[str] = Field(description="intents the model can output (those seen in training)")
    intercepts: list[float]
    weights: dict[str, list[float]] = Field(description="n-gram -> one weight per label")
    n_spans: int = Field(default=0, description="training spans")

    def probabilities(self, text: str) -> dict[str, float]:
        """P(intent | order line text) over ``labels`` (softmax); empty when no n-gram is known."""
        feats = {g: v for g, v in ngram_features(text).items() if g in self.weights}
        if not feats:
            return {}
        scores = list(self.intercepts)
        for g, v in feats.items():
            for k, w in enumerate(self.weights[g]):
                scores[k] += v * w
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {label: e / total for label, e in zip(self.labels, exps, strict=True)}


def referral_orders(row: Mapping[str, Any]) -> list[tuple[list[str], list[str]]]:
    """(gold PROCEDURE span texts, intents) for each referral of a dataset row."""
    gold = gold_from_row(row)
    return [
        (
            [text for etype, page, _, text in gold.entities if etype == "PROCEDURE" and page - 1 in ref.pages],
            sorted(ref.intents, key=INTENTS.index),
        )
        for ref in gold.referrals
    ]


def _fit_multinomial(texts: Sequence[str], labels: Sequence[str], c: float, min_count: int) -> OrderIntentModel | None:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    classes = sorted(set(labels), key=INTENTS.index)
    if len(classes) < 2:
        return None
    feats = [ngram_features(t) for t in texts]
    counts = Counter(g for f in feats for g in f)
    feats = [{g: v for g, v in f.items() if counts[g] >= min_count} for f in feats]
    vec = DictVectorizer()
    x = vec.fit_transform(feats)
    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit(x, [classes.index(y) for y in labels])
    coef = clf.coef_ if len(classes) > 2 else [[-w / 2 for w in clf.coef_[0]], [w / 2 for w in clf.coef_[0]]]
    intercept = clf.intercept_ if len(classes) > 2 else [-clf.intercept_[0] / 2, clf.intercept_[0] / 2]
    names = vec.get_feature_names_out()
    weights = {str(g): [round(float(coef[k][j]), 5) for k in range(len(classes))] for j, g in enumerate(names)}
    return OrderIntentModel(
        labels=classes, intercepts=[float(b) for b in intercept], weights=weights, n_spans=len(texts)
    )


def service_order_terms(policies_dir: Path | None = None) -> dict[str, list[str]]:
    """Per intent, the order terms of ``policies/services.yaml``, read with the rules layer's schema."""
    path = (policies_dir or config.POLICIES_DIR) / "services.yaml"
    services = ServicesFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return {intent: list(info.order_terms) for intent, info in services.services.items() if info.order_terms}


def fit_order_intents(
    rows: Sequence[Mapping[str, Any]],
    seed_terms: Mapping[str, Sequence[str]] | None = None,
    c: float = 10.0,
    min_count: int = 2,
) -> OrderIntentModel | None:
    """Fit on the gold PROCEDURE spans of ``rows`` (the training split) and the ``seed_terms``
    (intent -> order terms). None when they name fewer than two intents."""
    single: list[tuple[str, str]] = [(t, intent) for intent, terms in (seed_terms or {}).items() for t in terms]
    multi: list[tuple[list[str], list[str]]] = []
    for row in rows:
        for texts, intents in referral_orders(row):
            if not texts or not intents:
                continue
            if len(intents) == 1:
                single.extend((t, intents[0]) for t in texts)
            else:
                multi.append((texts, intents))
    if not single:
        return None
    first = _fit_multinomial([t for t, _ in single], [y for _, y in single], c, min_count)
    if first is None:
        return None
    pairs = list(single)
    for texts, intents in multi:
        for t in texts:
            probs = first.probabilities(t)
            known = [i for i in intents if i in probs]
            # a service no single-order referral taught: the span keeps the first of its referral's intents
            pairs.append((t, max(known, key=probs.__getitem__) if known else intents[0]))
    return _fit_multinomial([t for t, _ in pairs], [y for _, y in pairs], c, min_count) or first


def order_intent_evidence(model: OrderIntentModel, spans: Sequence[Span]) -> dict[str, float]:
    """Per intent, the strongest order line for it: span confidence x P(intent | span text), max over
    the referral's PROCEDURE spans."""
    evidence: dict[str, float] = {}
    for span in spans:
        if span.type != "PROCEDURE":
            continue
        for intent, p in model.probabilities(span.text).items():
            evidence[intent] = max(evidence.get(intent, 0.0), span.confidence * p)
    return evidence


def named_order_evidence(spans: Sequence[Span], order_terms: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Per intent, the confidence of the most confident order line (PROCEDURE span) that names one of its
    order terms word for word (:func:`printed_orders.printed_term_intents`: a term inside a longer one counts for
    the longer one). The n-gram reader weighs a whole line, and a line that goes on past its service's name
    ("STRESS ECHO W/.ECG MONITORING", where "monitoring" reads as a rhythm monitor) came out at 0.47 for the
    stress echo it names."""
    evidence: dict[str, float] = {}
    for span in spans:
        if span.type == "PROCEDURE":
            for intent in printed_term_intents([span.text], order_terms):
                evidence[intent] = max(evidence.get(intent, 0.0), span.confidence)
    return evidence


#: Untagged words after an order line that it may grow over to complete a service's name
TERM_GROWTH = 2


def orders_grown_to_terms(
    words: Sequence[str], boxes: Sequence[Sequence[int]], spans: Sequence[Span], order_terms: Mapping[str, Sequence[str]]
) -> list[Span]:
    """Order lines (PROCEDURE spans) the tagger stopped inside a service's name, grown over up to
    :data:`TERM_GROWTH` untagged words after them on their line to the end of the name ("Transesophageal" |
    "echo", "Pacemaker" | "interrogation", "SVT" | "ablation"): the line alone names no service, and grown it names
    one word for word (:func:`named_order_evidence`). On the gold spans of every corpus here (436
    documents) it never fires; on the 84 held-out documents of data/bench7 + fresh7 (default seed-22 model) it
    mended 3 order lines. The span keeps its confidence."""
    taken = {i for s in spans for i in s.word_indices}
    out = []
    for span in spans:
        if span.type == "PROCEDURE" and span.word_indices and not printed_term_intents([span.text], order_terms):
            start = span.word_indices[0]
            end = k = span.word_indices[-1] + 1
            while k < len(words) and k - span.word_indices[-1] <= TERM_GROWTH and k not in taken \
                    and on_one_line(boxes[k - 1], boxes[k]):
                k += 1
                if printed_term_intents([" ".join(words[start:k])], order_terms):
                    end = k  # the name's end: the words after it stay untagged
                    break
            if end > span.word_indices[-1] + 1:
                taken.update(range(start, end))
                span = span.model_copy(update={
                    "text": " ".join(words[start:end]), "word_indices": list(range(start, end)),
                    "bbox": union_box(boxes[start:end])})
        out.append(span)
    return out

