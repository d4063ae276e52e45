"""The scikit-learn baseline: what a referral model gets from words, shapes and coarse positions alone.

- Entities: a linear token classifier (SGD, log loss) over DictVectorizer features: the word, its
  shape, prefixes/suffixes, neighbours in reading order, the nearest word to its left on the same
  line and above it in the same column (where form labels sit), and its position on the 0-1000 grid.
- Page types: TF-IDF + logistic regression on the page's words.
- Intents: TF-IDF + one-vs-rest logistic regression on each referral's words.

Predictions go through the same post-processing as the main model (split, calibration, thresholds,
normalization, review): probabilities become logits (log p for softmax heads, log-odds for the
sigmoid intents), so ``build_prediction`` treats both models alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cardio_intake.document import Document
from cardio_intake.extraction.build import build_prediction, split_document
from cardio_intake.extraction.calibration import Calibration
from cardio_intake.labels import BIO_LABELS, INTENTS, PAGE_TYPES
from cardio_intake.model.outputs import RawDocumentOutput, RawPageOutput
from cardio_intake.schemas import Prediction

MODEL_FILE = "baseline.joblib"
CALIBRATION_FILE = "calibration.json"
INFO_FILE = "baseline.json"
EPS = 1e-6


# --- token features -------------------------------------------------------------------------------


def word_shape(word: str) -> str:
    """``Xxxx``-style shape with runs collapsed: ``03/14/1952`` -> ``d/d/d``, ``W238849102`` -> ``Xd``."""
    s = re.sub(r"[A-Z]", "X", word)
    s = re.sub(r"[a-z]", "x", s)
    s = re.sub(r"[0-9]", "d", s)
    return re.sub(r"(.)\1+", r"\1", s)


def _neighbours(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest word to the left on the same line, and of the nearest word above that
    overlaps horizontally (-1 when none), vectorized per page."""
    n = len(boxes)
    if n == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    x0, y0, x1, y1 = (boxes[:, i].astype(np.float64) for i in range(4))
    cy = (y0 + y1) / 2
    h = np.maximum(y1 - y0, 1.0)
    same_line = np.abs(cy[:, None] - cy[None, :]) < 0.6 * np.maximum(h[:, None], h[None, :])
    left_gap = x0[:, None] - x1[None, :]  # [i, j]: how far word j ends to the left of word i
    left_ok = same_line & (left_gap >= -2)
    np.fill_diagonal(left_ok, False)
    left_d = np.where(left_ok, left_gap, np.inf)
    left = np.where(np.isfinite(left_d.min(axis=1)), left_d.argmin(axis=1), -1)
    overlap = (np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])) > 0
    up_gap = y0[:, None] - y1[None, :]
    up_ok = overlap & (up_gap >= -2) & ~same_line
    np.fill_diagonal(up_ok, False)
    up_d = np.where(up_ok, up_gap, np.inf)
    up = np.where(np.isfinite(up_d.min(axis=1)), up_d.argmin(axis=1), -1)
    return left, up


def page_token_features(words: Sequence[str], boxes: Sequence[Sequence[int]]) -> list[dict[str, Any]]:
    arr = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    left, up = _neighbours(arr)
    low = [w.lower() for w in words]
    shapes = [word_shape(w) for w in words]
    feats = []
    n = len(words)
    for i, w in enumerate(words):
        x0, y0, x1, _ = (int(v) for v in arr[i])
        f: dict[str, Any] = {
            "bias": 1.0,
            "w=" + low[i]: 1.0,
            "shape=" + shapes[i]: 1.0,
            "p3=" + low[i][:3]: 1.0,
            "s3=" + low[i][-3:]: 1.0,
            "s2=" + low[i][-2:]: 1.0,
            "len=" + str(min(len(w), 12)): 1.0,
            "colon": float(w.endswith(":")),
            "digits": sum(c.isdigit() for c in w) / max(len(w), 1),
            "upper": float(w.isupper()),
            "title": float(w.istitle()),
            "x=" + str(x0 // 100): 1.0,
            "y=" + str(y0 // 100): 1.0,
            "xy=" + f"{x0 // 250}.{y0 // 250}": 1.0,
            "width=" + str(min((x1 - x0) // 40, 8)): 1.0,
            "first": float(i == 0),
        }
        for off in (-2, -1, 1, 2):
            j = i + off
            key = f"{off:+d}"
            if 0 <= j < n:
                f[f"w{key}=" + low[j]] = 1.0
                f[f"shape{key}=" + shapes[j]] = 1.0
            else:
                f[f"w{key}=<pad>"] = 1.0
        if left[i] >= 0:
            f["left=" + low[left[i]]] = 1.0
            f["left_shape=" + shapes[left[i]]] = 1.0
        else:
            f["left=<none>"] = 1.0
        if up[i] >= 0:
            f["up=" + low[up[i]]] = 1.0
        else:
            f["up=<none>"] = 1.0
        # the label word two to the left ("Member ID: W123"): the value's label has two words
        if i >= 2 and low[i - 1].endswith(":"):
            f["label2=" + low[i - 2] + "_" + low[i - 1]] = 1.0
        feats.append(f)
    return feats


# --- the model ----------------------------------------------------------------------------------


@dataclass
class BaselineConfig:
    """Hyper-parameters of the scikit-learn baseline (logged to MLflow as the run's params)."""

    token_alpha: float = 2e-6  # L2 strength of the token SGD classifier
    token_epochs: int = 15  # passes over the training tokens
    page_c: float = 10.0  # inverse regularization of the page-type logistic regression
    intent_c: float = 10.0  # inverse regularization of the per-intent logistic regressions
    max_features: int = 50000  # TF-IDF vocabulary cap
    seed: int = 13
    target_precision: float = 0.98  # critical fields / intents on validation
    noncritical_precision: float = 0.5  # as extraction.fit.fit_calibration: dropped values are never right


def _int32(x: Any) -> Any:
    """CSR with 32-bit indices: recent scipy builds 64-bit ones that sklearn's SGD refuses."""
    x = x.tocsr()
    x.indices = x.indices.astype(np.int32, copy=False)
    x.indptr = x.indptr.astype(np.int32, copy=False)
    return x


def _text(words: Sequence[str]) -> str:
    return " ".join(words)


def _logits_from_proba(proba: np.ndarray, classes: Sequence[int], n_labels: int) -> np.ndarray:
    """log p over the full label set; labels the classifier never saw get probability EPS."""
    full = np.full((proba.shape[0], n_labels), EPS)
    full[:, list(classes)] = np.maximum(proba, EPS)
    full /= full.sum(axis=1, keepdims=True)
    return np.log(full)  # type: ignore[no-any-return]


class BaselineModel:
    """Three scikit-learn estimators; ``raw_document`` gives the same RawDocumentOutput as the
    LayoutLM model."""

    def __init__(self, config: BaselineConfig | None = None) -> None:
        self.config = config or BaselineConfig()
        self.token_vec: Any = None
        self.token_clf: Any = None
        self.page_clf: Any = None
        self.intent_clf: Any = None
        self.intent_classes: list[str] = []
        self._intent_const: dict[str, float] = {}  # intents training never (or always) saw: their rate

    # training ----------------------------------------------------------------------------------

    def fit(self, rows: Sequence[Mapping[str, Any]], progress: Any = None) -> BaselineModel:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression, SGDClassifier
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import MultiLabelBinarizer

        c = self.config
        feats: list[dict[str, Any]] = []
        tags: list[int] = []
        page_texts: list[str] = []
        page_types: list[int] = []
        ref_texts: list[str] = []
        ref_intents: list[list[str]] = []
        for row in rows:
            for words, boxes, t in zip(row["words"], row["bboxes"], row["ner_tags"], strict=True):
                feats.extend(page_token_features(words, boxes))
                tags.extend(_as_ids(t, BIO_LABELS))
                page_texts.append(_text(words))
            page_types.extend(_as_ids(row["page_types"], PAGE_TYPES))
            for r, intents in enumerate(row["referral_intents"]):
                pages = [p for p, x in enumerate(row["page_referral"]) if x == r]
                ref_texts.append(_text([w for p in pages for w in row["words"][p]]))
                ref_intents.append([INTENTS[i] if isinstance(i, int) else i for i in intents])
            if progress is not None:
                progress()
        self.token_vec = DictVectorizer(sparse=True)
        x_tok = _int32(self.token_vec.fit_transform(feats))
        self.token_clf = SGDClassifier(
            loss="log_loss", alpha=c.token_alpha, max_iter=c.token_epochs, tol=None, random_state=c.seed
        )
        self.token_clf.fit(x_tok, np.asarray(tags))

        def tfidf() -> Any:
            return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=c.max_features)

        self.page_clf = make_pipeline(tfidf(), LogisticRegression(C=c.page_c, max_iter=2000))
        if len(set(page_types)) > 1:
            self.page_clf.fit(page_texts, page_types)
        else:  # one class seen: a constant classifier is all the data supports
            self.page_clf = _Constant(page_types[0] if page_types else 0)
        mlb = MultiLabelBinarizer(classes=list(INTENTS))
        y = mlb.fit_transform(ref_intents)
        seen = y.any(axis=0) & ~y.all(axis=0)  # a label never (or always) present cannot be learnt
        self.intent_classes = [i for i, s in zip(INTENTS, seen, strict=True) if s]
        self._intent_const = {i: float(y[:, k].mean()) for k, i in enumerate(INTENTS) if not seen[k]}
        if self.intent_classes:
            self.intent_clf = make_pipeline(
                tfidf(), OneVsRestClassifier(LogisticRegression(C=c.intent_c, max_iter=2000))
            )
            self.intent_clf.fit(ref_texts, y[:, seen])
        return self

    # prediction --------------------------------------------------------------------------------

    def page_outputs(self, pages: Sequence[tuple[Sequence[str], Sequence[Sequence[int]]]]) -> list[RawPageOutput]:
        out = []
        texts = [_text(w) for w, _ in pages]
        pt_proba = self.page_clf.predict_proba(texts) if texts else np.zeros((0, len(PAGE_TYPES)))
        pt_logits = _logits_from_proba(pt_proba, self.page_clf.classes_, len(PAGE_TYPES))
        for k, (words, boxes) in enumerate(pages):
            if len(words):
                x = _int32(self.token_vec.transform(page_token_features(words, boxes)))
                tag_logits = _logits_from_proba(self.token_clf.predict_proba(x), self.token_clf.classes_, len(BIO_LABELS))
            else:
                tag_logits = np.zeros((0, len(BIO_LABELS)))
            out.append(
                RawPageOutput(
                    words=list(words),
                    boxes=[(int(b[0]), int(b[1]), int(b[2]), int(b[3])) for b in boxes],
                    tag_logits=tag_logits,
                    page_type_logits=pt_logits[k],
                )
            )
        return out

    def intent_logits(self, texts: Sequence[str]) -> list[np.ndarray]:
        probs = np.zeros((len(texts), len(INTENTS)))
        for k, label in enumerate(INTENTS):
            probs[:, k] = self._intent_const.get(label, 0.0)
        if self.intent_classes and texts:
            p = self.intent_clf.predict_proba(list(texts))
            for j, label in enumerate(self.intent_classes):
                probs[:, INTENTS.index(label)] = p[:, j]
        probs = np.clip(probs, EPS, 1 - EPS)
        return list(np.log(probs / (1 - probs)))

    def raw_document(
        self,
        pages: Sequence[tuple[Sequence[str], Sequence[Sequence[int]]]],
        calibration: Calibration,
        model_version: str = "baseline",
    ) -> RawDocumentOutput:
        raw_pages = self.page_outputs(pages)
        referral_pages = split_document(raw_pages, calibration) if raw_pages else []
        texts = [_text([w for p in ref for w in raw_pages[p].words]) for ref in referral_pages]
        return RawDocumentOutput(
            pages=raw_pages,
            referral_pages=referral_pages,
            intent_logits=self.intent_logits(texts),
            model_version=model_version,
        )

    # persistence -------------------------------------------------------------------------------

    def save(self, out: Path, calibration: Calibration, info: Mapping[str, Any] | None = None) -> Path:
        import joblib

        out.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, out / MODEL_FILE, compress=3)
        calibration.save(out / CALIBRATION_FILE)
        (out / INFO_FILE).write_text(json.dumps(dict(info or {}), indent=2, default=str), encoding="utf-8")
        return out


class _Constant:
    """Stands in for a classifier when training saw a single class."""

    def __init__(self, label: int) -> None:
        self.classes_ = np.array([label])

    def predict_proba(self, x: Sequence[Any]) -> np.ndarray:
        return np.ones((len(x), 1))


def _as_ids(values: Sequence[Any], names: Sequence[str]) -> list[int]:
    return [v if isinstance(v, int) else list(names).index(v) for v in values]


def row_pages(row: Mapping[str, Any]) -> list[tuple[list[str], list[list[int]]]]:
    return [(list(w), [list(b) for b in bb]) for w, bb in zip(row["words"], row["bboxes"], strict=True)]


# --- predictor ----------------------------------------------------------------------------------


class BaselinePredictor:
    """Same surface as ``cardio_intake.model.predictor.Predictor`` for evaluation and comparison."""

    def __init__(self, model: BaselineModel, calibration: Calibration, model_version: str = "baseline") -> None:
        self.model = model
        self.calibration = calibration
        self.model_version = model_version

    def predict_pages(
        self, pages: Sequence[tuple[Sequence[str], Sequence[Sequence[int]]]], name: str, document_id: str
    ) -> Prediction:
        raw = self.model.raw_document(pages, self.calibration, self.model_version)
        return build_prediction(raw, self.calibration, name, document_id)

    def predict_row(self, row: Mapping[str, Any]) -> Prediction:
        return self.predict_pages(row_pages(row), str(row.get("doc_id", "document")), f"dataset:{row.get('doc_id', '')}")

    def predict_document(self, doc: Document, name: str, document_id: str) -> Prediction:
        pages = [([w.text for w in p.words], [list(w.box_1000) for w in p.words]) for p in doc.pages]
        return self.predict_pages(pages, name, document_id)

    def predict_bytes(self, data: bytes, name: str) -> Prediction:
        from cardio_intake.ingest import load_document

        return self.predict_document(load_document(data), name, "sha256:" + hashlib.sha256(data).hexdigest())


def load_baseline(path: Path, model_version: str = "baseline") -> BaselinePredictor:
    import joblib

    if not (path / MODEL_FILE).is_file():
        raise FileNotFoundError(f"{path} is not a baseline model directory (needs {MODEL_FILE})")
    model = joblib.load(path / MODEL_FILE)
    cal_file = path / CALIBRATION_FILE
    calibration = Calibration.load(cal_file) if cal_file.is_file() else Calibration()
    return BaselinePredictor(model, calibration, model_version)
