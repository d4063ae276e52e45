"""The intake reviewer of the workflow demo: a person who reads the fax and corrects the extraction.

In the demo the fax's true content is the generated corpus's gold labels (``GoldReferral``, looked up
by file name). The reviewer submits, as corrections, the gold values of every field and of the
ordered services the model got wrong; when it got them all right, the reviewer only confirms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from rich.console import Console
from sqlalchemy.orm import Session

from cardio_intake.corpus.gold import GoldPacket, GoldReferral
from cardio_intake.labels import FIELD_NAMES
from cardio_intake.schemas import IntentPrediction, ReferralPrediction, Review
from cardio_intake.store.clock import Clock
from cardio_intake.store.models import ReferralRow
from cardio_intake.store.ports import TriageFn
from cardio_intake.store.updates import mark_reviewed

#: File name (as the document was received) -> the gold referrals of that packet.
GoldLookup = Mapping[str, Sequence[GoldReferral]]

#: Blockers the demo's walk clears (approval, documentation, review); any other needs a person.
_WALKABLE = ("prior_auth_not_approved", "review_needed", "documentation_missing:")

#: Fields whose before/after the demo prints (the others are listed by name only).
_SHOWN = ("payer", "intents")


def gold_prediction(gold: GoldReferral) -> ReferralPrediction:
    """The referral as a perfect extraction would have read it."""
    return ReferralPrediction(
        pages=list(gold.pages),
        intents=[IntentPrediction(label=i, confidence=1.0) for i in gold.intents],
        fields=gold.fields,
        review=Review(needed=False),
    )


def walkable_auth(
    gold: GoldReferral, triage_fn: TriageFn, practice_id: str, today: date, page_types: list[str] | None = None
) -> bool:
    """Whether the true referral has an order that needs prior authorization and that approval and
    documentation alone would free (no prerequisite, payer accepted, service offered)."""
    decision = triage_fn(gold_prediction(gold), practice_id, today, None, page_types)
    return any(
        od.prior_auth.required is True
        and not od.depends_on
        and all(b.startswith(_WALKABLE) for b in od.blocked_by)
        for od in decision.orders
    )


def with_authorization_case(
    packets: Sequence[GoldPacket], n: int, triage_fn: TriageFn, today: date, practice_id: str = "default"
) -> list[GoldPacket]:
    """The first ``n`` packets, the last swapped for the first later one that truly orders a service
    needing prior authorization when none of the ``n`` does (so the demo has an approval to show)."""
    chosen = list(packets[:n])

    def needs_auth(packet: GoldPacket) -> bool:
        return any(walkable_auth(r, triage_fn, practice_id, today) for r in packet.referrals)

    if chosen and not any(needs_auth(p) for p in chosen):
        chosen[-1] = next((p for p in packets[n:] if needs_auth(p)), chosen[-1])
    return chosen


def match_gold(referral: ReferralRow, gold: GoldLookup) -> GoldReferral | None:
    """The gold referral of the same packet sharing most pages (the only one when the packet has one)."""
    candidates = list(gold.get(referral.document.name, ()))
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    pages = set(referral.prediction.get("pages") or [])
    _, best = max(enumerate(candidates), key=lambda kg: (len(pages & set(kg[1].pages)), -abs(kg[0] - referral.position)))
    return best


def corrections_from_gold(prediction: ReferralPrediction, gold: GoldReferral) -> dict[str, Any]:
    """The gold value of each field the extraction got wrong, and the gold intents when they differ."""
    found = prediction.fields.model_dump(mode="json")
    truth = gold.fields.model_dump(mode="json")
    corrections: dict[str, Any] = {k: truth[k] for k in FIELD_NAMES if found[k] != truth[k]}
    if {i.label for i in prediction.intents} != set(gold.intents):
        corrections["intents"] = list(gold.intents)
    return corrections


def review_with_gold(
    out: Console,
    session: Session,
    referral: ReferralRow,
    gold: GoldReferral | None,
    triage_fn: TriageFn,
    clock: Clock,
    actor: str,
) -> list[str]:
    """The reviewer checks the referral against the fax (its gold) and confirms it, correcting what
    was wrong; returns the corrected field names."""
    prediction = ReferralPrediction.model_validate(referral.prediction)
    corrections = corrections_from_gold(prediction, gold) if gold is not None else {}
    mark_reviewed(session, referral.id, triage_fn=triage_fn, corrections=corrections, clock=clock, actor=actor)
    if gold is None:
        out.print(f"  the intake reviewer confirmed referral {referral.id} (no gold labels to check it against)")
    elif not corrections:
        out.print(f"  the intake reviewer read the fax: the model got referral {referral.id} right, no corrections needed")
    else:
        before = {"payer": prediction.fields.payer, "intents": [i.label for i in prediction.intents]}
        shown = [f"{k} ({before[k]!r} -> {corrections[k]!r})" for k in _SHOWN if k in corrections]
        others = [k for k in corrections if k not in _SHOWN]
        out.print(
            f"  [bold]a person corrected {len(corrections)} field(s) in review[/] of referral {referral.id}: "
            + ", ".join(shown + others)
        )
    return list(corrections)


def correct_for_authorization(
    out: Console,
    session: Session,
    referrals: Sequence[ReferralRow],
    gold: GoldLookup,
    triage_fn: TriageFn,
    clock: Clock,
    actor: str,
) -> ReferralRow | None:
    """Work the intake_review queue: review the first referral whose fax really orders a service that
    needs prior authorization, so its order gets its ``needed`` authorization. None when no such fax."""
    today = clock().date()
    for referral in referrals:
        if referral.queue != "intake_review":
            continue
        truth = match_gold(referral, gold)
        if truth is None or not walkable_auth(truth, triage_fn, referral.practice_id, today, list(referral.page_types)):
            continue
        out.print(f"referral {referral.id} ({referral.document.name}) waits in intake_review: "
                  + ", ".join(referral.route_reasons[:2]))
        review_with_gold(out, session, referral, truth, triage_fn, clock, actor)
        return referral
    return None
