"""`--compare`: documents whose triage-relevant output differs between two models, for QA to read.

Triage-relevant means what the rules layer decides on: how the fax is split into referrals, each
referral's intents, payer, member ID, CPT codes and urgency, whether it goes to review, and the page
types (a clinical note's presence decides documentation checks).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from evaluation.records import DocRecord, ReferralRecord

TRIAGE_FIELDS = ("payer", "member_id", "cpt", "urgency")


class TriageChange(BaseModel):
    doc_id: str
    family: str
    changes: list[str]
    critical_errors_a: int
    critical_errors_b: int

    @property
    def verdict(self) -> str:
        if self.critical_errors_a == self.critical_errors_b:
            return "same"
        return "better" if self.critical_errors_a < self.critical_errors_b else "worse"


def _fmt(v: object) -> str:
    if v is None:
        return "∅"
    if isinstance(v, (list, tuple)):
        return ",".join(map(str, v)) or "∅"
    return str(v)


def _view(r: ReferralRecord) -> dict[str, object]:
    by = {f.field: f.pred for f in r.fields}
    return {"pages": r.pred_pages, "intents": r.pred_intents, **{k: by.get(k) for k in TRIAGE_FIELDS},
            "review": r.review_needed}


def _predicted(d: DocRecord) -> list[ReferralRecord]:
    return sorted((r for r in d.referrals if r.pred_index is not None), key=lambda r: r.pred_pages or [0])


def triage_changes(a: Sequence[DocRecord], b: Sequence[DocRecord]) -> list[TriageChange]:
    """Compare model A's records with model B's on the same documents (matched by doc_id); only
    documents with at least one change are returned, in A's order."""
    b_by_id = {d.doc_id: d for d in b}
    out: list[TriageChange] = []
    for da in a:
        db = b_by_id.get(da.doc_id)
        if db is None:
            continue
        changes: list[str] = []
        ra, rb = _predicted(da), _predicted(db)
        if [r.pred_pages for r in ra] != [r.pred_pages for r in rb]:
            changes.append(f"referral split: {[r.pred_pages for r in rb]} -> {[r.pred_pages for r in ra]}")
        else:
            for k, (x, y) in enumerate(zip(ra, rb, strict=True), start=1):
                va, vb = _view(x), _view(y)
                changes += [f"referral {k} {key}: {_fmt(vb[key])} -> {_fmt(va[key])}"
                            for key in va if key != "pages" and va[key] != vb[key]]
        pa = [p.pred_type for p in da.pages]
        pb = [p.pred_type for p in db.pages]
        if pa != pb:
            changes += [f"page {i} type: {y} -> {x}" for i, (x, y) in enumerate(zip(pa, pb, strict=False), 1) if x != y]
        if changes:
            out.append(TriageChange(
                doc_id=da.doc_id, family=da.family, changes=changes,
                critical_errors_a=sum(r.critical_error for r in da.referrals),
                critical_errors_b=sum(r.critical_error for r in db.referrals),
            ))
    return out
