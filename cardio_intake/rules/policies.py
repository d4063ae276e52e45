"""The loaded policy set: validated files, compiled expressions and the look-ups triage needs.

Immutable once built; ``triage`` only reads it, so one instance serves every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import rule_engine

from cardio_intake.labels import intent_for_cpt
from cardio_intake.rules.expressions import compile_expression
from cardio_intake.rules.models import (
    DocumentationFile,
    Payer,
    PayersFile,
    Practice,
    PracticesFile,
    PriorAuthFile,
    SequencingFile,
    ServicesFile,
    TimingFile,
    cpt_in,
)
from cardio_intake.rules.payers import PayerMatch, resolve_payer


class UnknownPracticeError(KeyError):
    """No practice profile with that id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown practice"


@dataclass(frozen=True)
class Policies:
    payers: tuple[Payer, ...]
    services: ServicesFile
    prior_auth: PriorAuthFile
    documentation: DocumentationFile
    sequencing: SequencingFile
    timing: TimingFile
    practices: MappingProxyType[str, Practice]
    version: str
    directory: Path
    #: Compiled rule-engine conditions keyed by the rule id that carries them.
    expressions: MappingProxyType[str, rule_engine.Rule] = field(repr=False)

    @classmethod
    def build(
        cls,
        *,
        payers: PayersFile,
        services: ServicesFile,
        prior_auth: PriorAuthFile,
        documentation: DocumentationFile,
        sequencing: SequencingFile,
        timing: TimingFile,
        practices: PracticesFile,
        version: str,
        directory: Path,
    ) -> Policies:
        expressions: dict[str, Any] = {}
        for pa in prior_auth.rules:
            if pa.when:
                expressions[pa.id] = compile_expression(pa.when)
        for doc in documentation.rules:
            if doc.applies_when:
                expressions[doc.id] = compile_expression(doc.applies_when)
        for seq in sequencing.rules:
            if seq.applies_when:
                expressions[seq.id] = compile_expression(seq.applies_when)
        return cls(
            payers=tuple(payers.payers),
            services=services,
            prior_auth=prior_auth,
            documentation=documentation,
            sequencing=sequencing,
            timing=timing,
            practices=MappingProxyType({p.id: p for p in practices.practices}),
            version=version,
            directory=directory,
            expressions=MappingProxyType(expressions),
        )

    def practice(self, practice_id: str) -> Practice:
        """The practice profile, or :class:`UnknownPracticeError` naming the ones on file."""
        try:
            return self.practices[practice_id]
        except KeyError:
            raise UnknownPracticeError(
                f"unknown practice {practice_id!r}; practices on file: {', '.join(sorted(self.practices))}"
            ) from None

    def resolve_payer(self, text: str | None) -> PayerMatch:
        return resolve_payer(text, self.payers)

    def service_for_cpt(self, code: str) -> str | None:
        """The service a CPT code belongs to: the contract's ranges, then services.yaml's extra codes."""
        found = intent_for_cpt(code)
        if found is not None:
            return found
        for service, info in self.services.services.items():
            if cpt_in(code, info.extra_cpt):
                return service
        return None

    def rule_ids(self) -> list[str]:
        """Every rule id in the policies (fallbacks included), in file order."""
        fb = self.prior_auth.fallbacks
        return [
            fb.unknown_payer.id,
            fb.unknown_plan.id,
            fb.no_policy.id,
            *(r.id for r in self.prior_auth.rules),
            *(r.id for r in self.documentation.rules),
            *(r.id for r in self.sequencing.rules),
            *(w.id for w in self.timing.windows),
        ]

    def service_name(self, service: str) -> str:
        info = self.services.services.get(service)  # type: ignore[call-overload]
        return info.name if info else service
