"""The bulk reader's checks of a row, generated from the models' rules (:mod:`.rules`).

A row breaks a rule when a check here is true: a JSON type the model does not take as it
is, a missing required field, a value out of bounds, not among the allowed values, of
the wrong length or shape, or a cross-field check of a model validator. Nothing here
names a field: every check comes from a :class:`~autoforge_learn.analyze.rules.Rule`.

The checks are strict: a row broken here sends its file to the exact parser, which
decides. So a rule the SQL cannot express (a union type, a model validator without a
counterpart in :data:`MODEL_VALIDATOR_SQL`) turns down every row it could apply to.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from autoforge_learn.analyze.columns import EVENT_COLUMNS, checked_keys
from autoforge_learn.analyze.rules import Rule, all_rules, custom_fields, model_validators
from autoforge_learn.analyze.sqlexprs import datetime_sql, in_list, literal, q, q_ident

if TYPE_CHECKING:
    from autoforge_learn.analyze.sqlexprs import Exprs

#: JSON types a key unknown to the row's kind may hold in bulk: scalars that cannot hide
#: a token the exact parser refuses (a DOUBLE may be NaN, an array or object anything).
_PLAIN_TYPES = ("VARCHAR", "BIGINT", "UBIGINT", "BOOLEAN", "NULL")

#: A string ``str.strip()`` leaves as it is, and SQL sees the same: printable ASCII at
#: both ends (others go to the exact parser).
_STRIP_STABLE = r"(?s)^([!-~](.*[!-~])?)?$"


def _filled_by_parser() -> tuple[str, ...]:
    from autoforge_learn.schema.parse import FILLED_BY_NORMALIZE

    return FILLED_BY_NORMALIZE


def _aliases_of(name: str) -> tuple[str, ...]:
    from autoforge_learn.schema.parse import GATE_FIELD_ALIASES

    return tuple(alias for alias, target in GATE_FIELD_ALIASES.items() if target == name)


def _by_kinds(e: Exprs) -> dict[tuple[str, Rule], tuple[str, ...]]:
    """(key, rule) -> the group's kinds with that rule."""
    out: dict[tuple[str, Rule], list[str]] = {}
    for kind in e.allowed:
        for key, rule in all_rules(kind).items():
            out.setdefault((key, rule), []).append(kind)
    return {k: tuple(v) for k, v in out.items()}


def _for(kinds: tuple[str, ...], e: Exprs, cond: str) -> str:
    if set(kinds) >= set(e.allowed):
        return f"({cond})"
    if len(kinds) == 1:
        return f"kind_ = {q(kinds[0])} AND ({cond})"
    return f"kind_ IN {in_list(kinds)} AND ({cond})"


@functools.cache
def distinct_checked() -> dict[str, tuple[str, ...]]:
    """Columns checked on their distinct values after loading (field -> kinds): those
    with a pattern (cheaper on distinct values than on every row) and those a field
    validator checks (which only pydantic can judge)."""
    from autoforge_learn.analyze.columns import KINDS

    out: dict[str, set[str]] = {name: set(kinds) for name, kinds in custom_fields().items()}
    for kind in KINDS:
        for key, rule in all_rules(kind).items():
            if rule.pattern is not None:
                out.setdefault(key, set()).add(kind)
    return {
        name: tuple(sorted(kinds))
        for name, kinds in sorted(out.items())
        if name in EVENT_COLUMNS and name not in ("stage", "agent_role")
    }


def type_checks(e: Exprs) -> list[str]:
    """Checks on the JSON types of the read line (bulk reads only): per kind, one
    regular expression over the line's type signature (``sig_``, see
    :data:`~autoforge_learn.analyze.sqlparse.TYPE_LETTERS`) whose position for each
    checked key allows the types its rule takes, a key the kind does not know holding
    a plain scalar, and absence unless the kind requires the key."""
    from autoforge_learn.analyze.sqlparse import SIGNATURE, type_class

    index = {k: i for i, k in enumerate(checked_keys(e.group), start=1)}
    classes = {kind: [type_class(_PLAIN_TYPES, absent=True)] * len(index) for kind in e.allowed}
    out = []
    for (key, rule), kinds in _by_kinds(e).items():
        if key not in index:
            continue
        spellings = [key, *(a for a in _aliases_of(key) if a in index)]
        required = rule.required and not rule.nullable and key not in _filled_by_parser()
        # a required key with two spellings may be present in either: checked apart
        if required and len(spellings) > 1:
            missing = " AND ".join(f"ty_[{index[k]}] IS NULL" for k in spellings)
            out.append(_for(kinds, e, missing))
        absent = not rule.json_types or not required or len(spellings) > 1
        for kind in kinds:
            classes[kind][index[key] - 1] = type_class(rule.json_types, absent=absent)
    patterns: dict[str, list[str]] = {}
    for kind, positions in classes.items():
        patterns.setdefault("".join(positions), []).append(kind)
    for pattern, sharing in patterns.items():
        out.append(_for(tuple(sharing), e, f"NOT regexp_full_match({SIGNATURE}, {q(pattern)})"))
    out.extend(_alias_checks(e, index))
    return out


def _alias_checks(e: Exprs, index: dict[str, int]) -> list[str]:
    """A field spelled both ways must hold one value (JSON null included), as
    :func:`autoforge_learn.schema.parse.normalize` requires of the kinds it merges."""
    from autoforge_learn.schema.parse import GATE_FIELD_ALIASES

    out = []
    for alias, name in GATE_FIELD_ALIASES.items():
        if alias in index and name in index and "gate_evaluation" in e.allowed:
            both = f"ty_[{index[alias]}] IS NOT NULL AND ty_[{index[name]}] IS NOT NULL"
            differ = f"{q_ident(alias)} IS DISTINCT FROM {q_ident(name)}"
            out.append(_for(("gate_evaluation",), e, f"{both} AND {differ}"))
    return out


def value_checks(e: Exprs) -> list[str]:
    """Checks on the values of the read keys (bulk reads and normalized lines alike)."""
    out = []
    skip_pattern = distinct_checked()
    for (key, rule), kinds in _by_kinds(e).items():
        if key not in e.keys or key in ("kind", "timestamp"):
            continue  # the kind and the timestamp are checked as kind_ and ts_
        for cond in _rule_conditions(q_ident(key), rule, key in skip_pattern):
            out.append(_for(kinds, e, cond))
    return out


def _rule_conditions(v: str, rule: Rule, pattern_checked_later: bool) -> list[str]:
    """SQL conditions true when the value ``v`` breaks ``rule``."""
    out = []
    if rule.values is not None:
        out.append(f"{v} NOT IN {in_list(rule.values)}")
    for bound, op in (
        (rule.minimum, "<"),
        (rule.maximum, ">"),
        (rule.exclusive_minimum, "<="),
        (rule.exclusive_maximum, ">="),
    ):
        if bound is not None:
            out.append(f"{v} {op} {literal(bound)}")
    if rule.sql_type == "DOUBLE":
        out.append(f"NOT isfinite({v})")
    if rule.min_length is not None:
        out.append(f"length({v}) < {rule.min_length}")
    if rule.max_length is not None:
        out.append(f"length({v}) > {rule.max_length}")
    if rule.pattern is not None and not pattern_checked_later:
        out.append(f"NOT regexp_matches({v}, {q(rule.pattern)})")
    if rule.datetime:
        out.append(f"{v} IS NOT NULL AND ({datetime_sql(v)}) IS NULL")
    if rule.items is not None:
        out.append(
            f"json_type({v}) = 'ARRAY' AND "
            f"len(list_filter(json_type({v}, '$[*]'), lambda t: t <> {q(rule.items)})) > 0"
        )
    if rule.children:
        out.append(f"json_type({v}) = 'OBJECT' AND ({_object_broken(v, rule.children)})")
    return out


def _object_broken(v: str, children: tuple[Rule, ...]) -> str:
    """True when a nested object breaks its model: a child of the wrong type or shape, or
    a key the model does not name (or names twice), whose value SQL cannot judge.

    The children's types are read in one pass over the object (a type signature, as for
    a line), and so are the items of every array when all the arrays it may hold take
    the same items: each pass parses the object again."""
    from autoforge_learn.analyze.sqlparse import signature_sql, type_class

    paths = "[" + ", ".join(q(f'$."{child.key}"') for child in children) + "]"
    signature = signature_sql(f"json_type({v}, {paths})")
    allowed = {child.key: () if _beyond_items(child) else child.json_types for child in children}
    pattern = "".join(type_class(allowed[c.key], absent=not c.required) for c in children)
    parts = [f"NOT regexp_full_match({signature}, {q(pattern)})"]
    may_be_array = [c for c in children if "ARRAY" in allowed[c.key]]
    items = {c.items for c in may_be_array}
    if len(items) == 1 and None not in items:  # every array's items: one pass
        parts.append(f"len(list_filter(json_type({v}, '$.*[*]'), "
                     f"lambda t: t <> {q(str(items.pop()))})) > 0")
    else:
        for child in children:
            if child.items is not None:
                item_path = q(f'$."{child.key}"[*]')
                item_types = f"json_type({v}, {item_path})"
                parts.append(f"len(list_filter({item_types}, lambda t: t <> {q(child.items)})) > 0")
    parts.append(f"len(json_keys({v})) <> length(replace({signature}, '-', ''))")
    return " OR ".join(f"coalesce({p}, false)" for p in parts)


def _beyond_items(rule: Rule) -> bool:
    """A nested field with more to check than its type and its array items: any value of
    it is left to the exact parser."""
    return (
        rule.constrained()
        and not (rule.items is not None and not rule.children)
        or (
            rule.items is not None
            and any(
                getattr(rule, a) is not None
                for a in ("values", "minimum", "maximum", "min_length", "max_length", "pattern")
            )
        )
    )


# -- model validators: each has an SQL counterpart, or its kind goes to the exact parser --


def _duration(e: Exprs) -> tuple[list[str], dict[str, str]]:
    """``StageExecution._derive_duration``: the end may not precede the start; a missing
    duration is the time between them (microseconds over 1e6, as ``total_seconds``)."""
    start, end = datetime_sql(e.key("timestamp_start")), datetime_sql(e.key("timestamp_end"))
    derived = f"(epoch_us({end}) - epoch_us({start})) / 1e6"
    given = e.cols["duration_seconds"]
    column = f"coalesce({given}, CASE WHEN kind_ = 'stage_execution' THEN {derived} END)"
    return [f"kind_ = 'stage_execution' AND {end} < {start}"], {"duration_seconds": column}


def _alignment(e: Exprs) -> tuple[list[str], dict[str, str]]:
    """``HumanApproval._derive_alignment``: a missing ``decision_aligned`` is whether the
    stripped decision equals the stripped recommendation (strings whose ends ``strip``
    would change are left to the exact parser)."""
    human, agent = e.key("human_decision"), e.key("agent_recommendation")
    given = e.cols["decision_aligned"]
    unstable = (
        f"NOT (regexp_full_match({human}, {q(_STRIP_STABLE)}) AND "
        f"regexp_full_match({agent}, {q(_STRIP_STABLE)}))"
    )
    column = f"coalesce({given}, CASE WHEN kind_ = 'human_approval' THEN {human} = {agent} END)"
    return (
        [f"kind_ = 'human_approval' AND {given} IS NULL AND {unstable}"],
        {"decision_aligned": column},
    )


#: Model validator name -> its SQL counterpart: (checks, column expressions).
MODEL_VALIDATOR_SQL: dict[str, Callable[[Exprs], tuple[list[str], dict[str, str]]]] = {
    "_derive_duration": _duration,
    "_derive_alignment": _alignment,
}


def validator_columns(e: Exprs) -> dict[str, str]:
    """Columns a model validator derives, as SQL over the row's keys."""
    out: dict[str, str] = {}
    for kind, names in model_validators().items():
        if kind in e.allowed:
            for name in names:
                if name in MODEL_VALIDATOR_SQL:
                    out.update(MODEL_VALIDATOR_SQL[name](e)[1])
    return out


def validator_checks(e: Exprs) -> list[str]:
    """The cross-field checks of the group's model validators; a kind whose model has a
    validator without a counterpart is left entirely to the exact parser."""
    out = []
    for kind, names in model_validators().items():
        if kind not in e.allowed:
            continue
        for name in names:
            if name in MODEL_VALIDATOR_SQL:
                out.extend(MODEL_VALIDATOR_SQL[name](e)[0])
            else:
                out.append(f"kind_ = {q(kind)}")
    return out


def row_checks(e: Exprs, *, typed: bool) -> list[str]:
    """Every check of a row of ``e``'s group (``typed``: with the JSON type checks of a
    bulk read, whose rows carry ``ty_``)."""
    out = type_checks(e) if typed else []
    out.extend(value_checks(e))
    out.extend(validator_checks(e))
    out.append(f"kind_ IS NULL OR kind_ NOT IN {in_list(e.allowed)}")
    out.append("ts_ IS NULL")
    return out
