"""Corrections a person makes to the extraction while working the intake_review queue.

The reviewer reads the fax and gives the right values of any contract field (``Fields``: patient_name,
patient_dob, payer, member_id, cpt, icd10, referring_provider, referring_npi, urgency, ...) and of
``intents`` (the ordered services). Everything is validated against the contract before anything is
written: an unknown name or a value the contract refuses raises :class:`InvalidCorrection` (the API
answers 422). Only values that really differ count as changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from cardio_intake.labels import FIELD_NAMES, Intent
from cardio_intake.schemas import Fields, IntentPrediction, ReferralPrediction
from cardio_intake.store.errors import StoreError

#: What a reviewer may correct: every contract field, plus the ordered services.
CORRECTABLE: Final[tuple[str, ...]] = (*FIELD_NAMES, "intents")

#: A value a person typed is certain as far as the rules are concerned.
PERSON_CONFIDENCE: Final[float] = 1.0

#: The longest text a corrected value may hold (the referral's patient_name and payer columns).
MAX_TEXT: Final[int] = 255

_INTENTS = TypeAdapter(list[Intent])


class InvalidCorrection(StoreError, ValueError):
    code = "invalid_correction"


@dataclass(frozen=True)
class Change:
    """One corrected field, as JSON values (what the event log records)."""

    field: str
    before: Any
    after: Any


def _describe(exc: ValidationError, prefix: str = "") -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{prefix}{loc}: {err.get('msg', 'invalid')}" if prefix or loc else str(err.get("msg")))
    return "; ".join(parts)


def _check_text(name: str, value: Any) -> None:
    """Texts the database stores as they are: bounded, and without NUL (PostgreSQL refuses it)."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str) and (len(text) > MAX_TEXT or "\x00" in text):
            raise InvalidCorrection(f"{name}: text must be at most {MAX_TEXT} characters, without NUL")


def _intents(value: Any) -> list[Intent]:
    if isinstance(value, str):  # a bare string would validate as a list of characters' worth of errors
        raise InvalidCorrection(f"intents: expected a list of services, e.g. [{value!r}]")
    try:
        labels = _INTENTS.validate_python(value)
    except ValidationError as exc:
        raise InvalidCorrection(_describe(exc, "intents.")) from None
    return list(dict.fromkeys(labels))  # a service is ordered once


def apply_corrections(
    prediction: ReferralPrediction, corrections: Mapping[str, Any]
) -> tuple[ReferralPrediction, list[Change]]:
    """The prediction with the corrected values in place, and what changed (in contract order).

    Raises :class:`InvalidCorrection` for an unknown field name or a value the contract refuses.
    """
    unknown = sorted(k for k in corrections if k not in CORRECTABLE)
    if unknown:
        raise InvalidCorrection(
            f"unknown field(s) {', '.join(map(repr, unknown))}; correctable: {', '.join(CORRECTABLE)}"
        )
    field_updates = {k: v for k, v in corrections.items() if k != "intents"}
    for name, value in field_updates.items():
        _check_text(name, value)
    try:
        fields = Fields.model_validate({**prediction.fields.model_dump(), **field_updates})
    except ValidationError as exc:
        raise InvalidCorrection(_describe(exc)) from None
    before_json = prediction.fields.model_dump(mode="json")
    after_json = fields.model_dump(mode="json")
    changes = [Change(k, before_json[k], after_json[k]) for k in FIELD_NAMES if before_json[k] != after_json[k]]
    confidence = dict(prediction.field_confidence)
    for change in changes:
        # The model's confidence was about its own value; the person's value replaces it.
        confidence.pop(change.field, None)
        if change.after not in (None, []):
            confidence[change.field] = PERSON_CONFIDENCE
    intents = list(prediction.intents)
    if "intents" in corrections:
        labels = _intents(corrections["intents"])
        predicted = [i.label for i in prediction.intents]
        if set(labels) != set(predicted):
            changes.append(Change("intents", predicted, labels))
            intents = [IntentPrediction(label=label, confidence=PERSON_CONFIDENCE) for label in labels]
    corrected = prediction.model_copy(update={"fields": fields, "intents": intents, "field_confidence": confidence})
    return corrected, changes
