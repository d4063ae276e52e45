"""Load and validate the policy folder; every problem is reported with its file and line.

Validation happens in three passes so a person fixing a file sees everything at once:
YAML syntax (and duplicate keys, which PyYAML would silently overwrite), the pydantic schema of each
file, then cross-file references (payer and plan ids, services, expressions, unique rule ids).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cardio_intake import config
from cardio_intake.rules.expressions import ExpressionError, compile_expression
from cardio_intake.rules.models import (
    DocumentationFile,
    PayersFile,
    PracticesFile,
    PriorAuthFile,
    SequencingFile,
    ServicesFile,
    TimingFile,
)
from cardio_intake.rules.payers import alias_key
from cardio_intake.rules.policies import Policies

#: The files of a policy folder and their schema, in the order they are checked.
POLICY_FILES: dict[str, type[BaseModel]] = {
    "payers.yaml": PayersFile,
    "services.yaml": ServicesFile,
    "prior_auth.yaml": PriorAuthFile,
    "documentation.yaml": DocumentationFile,
    "sequencing.yaml": SequencingFile,
    "auth_timing.yaml": TimingFile,
    "practices.yaml": PracticesFile,
}
DEFAULT_PRACTICE = "default"

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class PolicyProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class PolicyError(Exception):
    """The policy folder is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = list(problems)
        super().__init__("invalid policies:\n" + "\n".join(f"  {p}" for p in self.problems))


# --- YAML with line numbers -------------------------------------------------------------------


def _line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """Line (1-based) of the deepest YAML node on the path ``loc`` (a pydantic error location)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            if child is None:  # a key of a dict[...] field, or a missing key: stay on the parent
                child = next((k for k, _ in node.value if getattr(k, "value", None) == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            child = node.value[key]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _duplicate_keys(node: yaml.Node, file: str) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            k = str(getattr(key, "value", ""))
            if k in seen:
                problems.append(PolicyProblem(file, key.start_mark.line + 1, f"duplicate key {k!r}"))
            seen.add(k)
            problems.extend(_duplicate_keys(value, file))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems.extend(_duplicate_keys(item, file))
    return problems


def _where(data: Any, loc: Sequence[str | int]) -> str:
    """``rules.4.services.1`` with the item's id added where it has one: ``rules.4(uhc-ma-echo-no-pa).services.1``."""
    parts: list[str] = []
    node = data
    for key in loc:
        node = node.get(key) if isinstance(node, dict) else node[key] if isinstance(node, list) and isinstance(key, int) and key < len(node) else None  # fmt: skip
        ident = node.get("id") if isinstance(key, int) and isinstance(node, dict) else None
        parts.append(f"{key}({ident})" if isinstance(ident, str) else str(key))
    return ".".join(parts) or "(top level)"


def _is_branch_tag(part: str | int) -> bool:
    """Pydantic's name of a union branch inside an error location (``list[...]``, ``literal[...]``)."""
    return isinstance(part, str) and part.startswith(("list[", "literal["))


@dataclass
class _Parsed:
    file: str
    text: bytes
    node: yaml.Node | None
    model: BaseModel | None

    def line(self, *loc: str | int) -> int | None:
        return _line_of(self.node, loc)


def _parse(path: Path, schema: type[BaseModel]) -> tuple[_Parsed, list[PolicyProblem]]:
    file = path.name
    raw = path.read_bytes()
    parsed = _Parsed(file, raw, None, None)
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        return parsed, [PolicyProblem(file, None, f"not UTF-8 text ({exc.reason})")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return parsed, [PolicyProblem(file, line, f"YAML syntax: {exc.problem or exc.context}")]
    parsed.node = node
    problems = _duplicate_keys(node, file) if node is not None else []
    if data is None:
        return parsed, [*problems, PolicyProblem(file, 1, "the file is empty")]
    try:
        parsed.model = schema.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        cleaned = [[p for p in e["loc"] if not _is_branch_tag(p)] for e in errors]
        for err, loc in zip(errors, cleaned, strict=True):
            # Pydantic reports every branch of a union ("services" is a list of intents or "all"); the
            # branch that names the bad item is the informative one, so the bare "all" branch is dropped
            # when another branch reported inside the same field.
            if any(isinstance(p, str) and p.startswith("literal[") for p in err["loc"]) and any(
                other != loc and other[: len(loc)] == loc for other in cleaned
            ):
                continue
            where = _where(data, loc)
            got = err.get("input")
            shown = (
                f" (got {got!r})"
                if isinstance(got, str | int | float | bool) and err["type"] != "missing"
                else ""
            )
            problems.append(PolicyProblem(file, _line_of(node, loc), f"{where}: {err['msg']}{shown}"))
    return parsed, problems


# --- cross-file checks ------------------------------------------------------------------------


def _cross_check(p: dict[str, _Parsed]) -> list[PolicyProblem]:
    problems: list[PolicyProblem] = []
    payers_p, pa_p, doc_p, seq_p, tim_p, pr_p = (
        p["payers.yaml"], p["prior_auth.yaml"], p["documentation.yaml"],
        p["sequencing.yaml"], p["auth_timing.yaml"], p["practices.yaml"],
    )  # fmt: skip
    payers: PayersFile = payers_p.model  # type: ignore[assignment]
    plans = {py.id: {pl.id for pl in py.plans} for py in payers.payers}
    managers = {pl.benefit_manager for py in payers.payers for pl in py.plans if pl.benefit_manager}

    def bad(parsed: _Parsed, loc: tuple[str | int, ...], message: str) -> None:
        problems.append(PolicyProblem(parsed.file, parsed.line(*loc), message))

    # payers: unique ids, and an alias names one payer only
    owner: dict[str, str] = {}
    payer_ids = [x.id for x in payers.payers]
    for i, py in enumerate(payers.payers):
        if payer_ids.count(py.id) > 1:
            bad(payers_p, ("payers", i, "id"), f"duplicate payer id {py.id!r}")
        for j, alias in enumerate(py.aliases):
            key = alias_key(alias)
            if not key:
                bad(payers_p, ("payers", i, "aliases", j), f"alias {alias!r} has no letters or digits")
            elif owner.setdefault(key, py.id) != py.id:
                bad(payers_p, ("payers", i, "aliases", j), f"alias {alias!r} also names payer {owner[key]!r}")

    def check_scope(
        parsed: _Parsed, base: tuple[str | int, ...], payer_ids: list[str], plan_ids: list[str]
    ) -> None:
        for j, pid in enumerate(payer_ids):
            if pid not in plans:
                bad(parsed, (*base, "payers", j), f"unknown payer {pid!r}; known: {', '.join(sorted(plans))}")
        for j, plan in enumerate(plan_ids):
            if not any(plan in plans.get(pid, set()) for pid in payer_ids):
                bad(parsed, (*base, "plans", j), f"plan {plan!r} is not a plan of {payer_ids}")

    def check_expr(parsed: _Parsed, loc: tuple[str | int, ...], text: str | None) -> None:
        if text is not None:
            try:
                compile_expression(text)
            except ExpressionError as exc:
                bad(parsed, loc, str(exc))

    ids: dict[str, str] = {}

    def unique(parsed: _Parsed, loc: tuple[str | int, ...], rule_id: str) -> None:
        if rule_id in ids:
            bad(parsed, loc, f"rule id {rule_id!r} is already used in {ids[rule_id]}")
        ids.setdefault(rule_id, parsed.file)

    pa: PriorAuthFile = pa_p.model  # type: ignore[assignment]
    for name in ("unknown_payer", "unknown_plan", "no_policy"):
        unique(pa_p, ("fallbacks", name, "id"), getattr(pa.fallbacks, name).id)
    for i, rule in enumerate(pa.rules):
        unique(pa_p, ("rules", i, "id"), rule.id)
        check_scope(pa_p, ("rules", i), rule.payers, rule.plans)
        if rule.benefit_manager and rule.benefit_manager not in managers:
            bad(
                pa_p, ("rules", i, "benefit_manager"), f"no plan has benefit manager {rule.benefit_manager!r}"
            )
        check_expr(pa_p, ("rules", i, "when"), rule.when)

    doc: DocumentationFile = doc_p.model  # type: ignore[assignment]
    for i, drule in enumerate(doc.rules):
        unique(doc_p, ("rules", i, "id"), drule.id)
        check_expr(doc_p, ("rules", i, "applies_when"), drule.applies_when)

    seq: SequencingFile = seq_p.model  # type: ignore[assignment]
    for i, srule in enumerate(seq.rules):
        unique(seq_p, ("rules", i, "id"), srule.id)
        check_expr(seq_p, ("rules", i, "applies_when"), srule.applies_when)
        if srule.services != "all" and set(srule.services) & set(srule.prerequisites):
            bad(seq_p, ("rules", i, "prerequisites"), "a service cannot be its own prerequisite")

    timing: TimingFile = tim_p.model  # type: ignore[assignment]
    for i, window in enumerate(timing.windows):
        unique(tim_p, ("windows", i, "id"), window.id)
        check_scope(tim_p, ("windows", i), window.payers, window.plans)

    practices: PracticesFile = pr_p.model  # type: ignore[assignment]
    seen_practices: set[str] = set()
    for i, practice in enumerate(practices.practices):
        if practice.id in seen_practices:
            bad(pr_p, ("practices", i, "id"), f"duplicate practice id {practice.id!r}")
        seen_practices.add(practice.id)
        for j, accepted in enumerate(practice.accepted_payers):
            payer_id, _, plan_id = accepted.partition("/")
            if payer_id not in plans or (plan_id and plan_id not in plans[payer_id]):
                bad(pr_p, ("practices", i, "accepted_payers", j), f"unknown payer or plan {accepted!r}")
    if DEFAULT_PRACTICE not in seen_practices:
        bad(pr_p, ("practices",), f"no practice with id {DEFAULT_PRACTICE!r} (used when none is given)")
    return problems


def policy_version(directory: Path = config.POLICIES_DIR) -> str:
    """Content hash of the policy files (names and bytes), e.g. for GET /model."""
    digest = hashlib.sha256()
    for name in POLICY_FILES:
        path = directory / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return f"sha256:{digest.hexdigest()[:16]}"


def load_policies(directory: Path = config.POLICIES_DIR) -> Policies:
    """Read, validate and compile the policy folder. Raises :class:`PolicyError` listing every problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PolicyError([PolicyProblem(str(directory), None, "policy folder not found")])
    problems: list[PolicyProblem] = []
    parsed: dict[str, _Parsed] = {}
    for name, schema in POLICY_FILES.items():
        path = directory / name
        if not path.is_file():
            problems.append(
                PolicyProblem(name, None, f"missing (a policy folder needs {', '.join(POLICY_FILES)})")
            )
            continue
        parsed[name], file_problems = _parse(path, schema)
        problems.extend(file_problems)
    if problems:
        raise PolicyError(problems)
    problems = _cross_check(parsed)
    if problems:
        raise PolicyError(problems)
    return Policies.build(
        payers=parsed["payers.yaml"].model,  # type: ignore[arg-type]
        services=parsed["services.yaml"].model,  # type: ignore[arg-type]
        prior_auth=parsed["prior_auth.yaml"].model,  # type: ignore[arg-type]
        documentation=parsed["documentation.yaml"].model,  # type: ignore[arg-type]
        sequencing=parsed["sequencing.yaml"].model,  # type: ignore[arg-type]
        timing=parsed["auth_timing.yaml"].model,  # type: ignore[arg-type]
        practices=parsed["practices.yaml"].model,  # type: ignore[arg-type]
        version=policy_version(directory),
        directory=directory,
    )
