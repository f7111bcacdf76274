"""Deterministic clustering of free-text gate failure reasons (pattern 1).

Differently worded reasons of one root cause should land in one cluster, without a
network model. The steps, all per gate:

1. **Mask** values into typed placeholders (:func:`mask`): CVE ids, ``pkg@version``,
   ``file:line``, paths and file names, endpoints, HTTP methods, quoted names,
   identifiers (``snake_case``, ``CamelCase``), versions and numbers.
2. **Normalize** (:func:`tokens`): lower-case words, a small synonym map (``lacks``,
   ``without``, ``no``, ``undefined`` ... -> ``missing``), a light plural strip and
   stop words dropped.
3. **Mine templates** (Drain-like): token sequences of equal length that agree on at
   least ``template_similarity`` of their positions merge into one template, the
   differing positions becoming ``<*>``.
4. **Merge templates** by agglomerative clustering (average linkage) on the cosine
   distance of their IDF-weighted token sets; clusters closer than
   ``merge_distance`` join.

The label of a cluster is its most frequent reason with values masked, e.g.
``Missing error code definitions for <num> endpoints``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bCVE-\d{4}-\d+\b", re.I), " <cve> "),
    (re.compile(r"\b[\w.-]+@v?\d[\w.-]*"), " <pkg> "),
    (re.compile(r"(?<![\w/])[\w./-]+\.[A-Za-z]{1,5}:\d+\b"), " <file> "),
    (re.compile(r"(?<![\w/])(?:[\w.-]+/)+(?:[\w-]+\.[A-Za-z]{1,5}\b)?(?=[\s,;:)]|$)"),
     " <path> "),
    (re.compile(r"\b[\w-]+\.(?:py|ts|tsx|js|jsx|go|rb|java|kt|swift|ya?ml|json|md|sql|toml|"
                r"lock|txt|cfg|ini|html|css)\b"), " <path> "),
    (re.compile(r"(?<![\w])/[\w{}.:-][\w{}./:-]*"), " <endpoint> "),
    (re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\b"), " <method> "),
    (re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`"), " <name> "),
    (re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b"), " <name> "),
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"), " <name> "),
    (re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b"), " <name> "),
    (re.compile(r"\bv?\d+(?:\.\d+){1,3}\b"), " <ver> "),
    (re.compile(r"\b\d+(?:\.\d+)?(?:%|ms|s|px|x)?(?![\w])"), " <num> "),
    (re.compile(r"\b[A-Z]{1,4}\d+\b"), " <num> "),
)

#: A small synonym map: words of one meaning become the first word of their group.
SYNONYMS: dict[str, str] = {
    word: group[0]
    for group in (
        ("missing", "lacks", "lack", "lacking", "without", "no", "not", "undefined", "absent",
         "empty", "none", "never", "unspecified", "undeclared", "uncovered", "untested"),
        ("define", "defined", "definition", "declared", "declare", "documented", "designed"),
        ("fail", "fails", "failed", "failure", "failing", "crash", "crashes", "error",
         "errors", "exits"),
        ("test", "tests", "tested", "testing", "suite"),
        ("auth", "authentication", "authorization", "securityschemes"),
        ("relation", "relations", "relationship", "relationships", "foreign"),
        ("scenario", "scenarios", "flow", "flows", "case", "cases"),
        ("endpoint", "endpoints", "route", "routes", "handler"),
        ("response", "responses", "status", "code", "codes"),
        ("state", "states", "variant", "variants"),
        ("dependency", "dependencies", "package", "lockfile", "version"),
        ("contract", "openapi", "spec"),
        ("coverage", "covers", "cover", "covered"),
        ("conflict", "conflicts", "mismatch", "eresolve", "resolve", "sync", "incompatible"),
        ("validation", "validated", "validate", "injection", "sanitized", "sanitization",
         "unsanitized"),
        ("secret", "secrets", "credential", "hardcoded", "committed"),
    )
    for word in group
}

STOP_WORDS = frozenset(
    "a an the in for of to at on with from by is are was be been has have had and or as "
    "e g eg it its this that than only any all some via into per after before does do "
    "did".split()
)

_WORD = re.compile(r"<\w+>|[a-z0-9]+")


_CAPITALIZED = re.compile(r"(?<=[\w)] )[A-Z][a-z]+\b")


def _name_or_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if word.lower() in SYNONYMS or word.lower() in STOP_WORDS else "<name>"


#: Per mask, a cheap test of whether it can match at all (most reasons hold no path,
#: quote or version): skipping the regex then keeps masking fast on large stores.
_MAY_MATCH = (
    lambda t: "cve-" in t.lower(),
    lambda t: "@" in t,
    lambda t: ":" in t,
    lambda t: "/" in t,
    lambda t: "." in t,
    lambda t: "/" in t,
    lambda t: True,
    lambda t: "'" in t or '"' in t or "`" in t,
    lambda t: "_" in t,
    lambda t: "_" in t,
    lambda t: True,
    lambda t: "." in t,
    lambda t: True,
    lambda t: True,
)


@functools.lru_cache(maxsize=1 << 16)
def mask(text: str) -> str:
    """``text`` with its values replaced by typed placeholders (``<path>``, ``<num>`` ...);
    a capitalized word inside a sentence (``Screen Billing lacks``) is taken for a name
    unless the synonym map knows it."""
    out = text
    for (pattern, placeholder), may_match in zip(_MASKS, _MAY_MATCH, strict=True):
        if may_match(out):
            out = pattern.sub(placeholder, out)
    return _CAPITALIZED.sub(_name_or_word, out)


#: Words that stand for two normalized tokens.
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "unvalidated": ("missing", "validation"),
    "unhandled": ("missing", "handled"),
    "undocumented": ("missing", "define"),
}


def _norm_word(word: str) -> str:
    if word.startswith("<"):
        return word
    if word in SYNONYMS:
        return SYNONYMS[word]
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        stem = word[:-1]
        return SYNONYMS.get(stem, stem)
    return word


@functools.lru_cache(maxsize=1 << 16)
def tokens(text: str) -> tuple[str, ...]:
    """Normalized tokens of a reason: masked, lower-cased, synonyms mapped, stop words
    dropped."""
    out: list[str] = []
    for word in _WORD.findall(mask(text).lower()):
        if word in STOP_WORDS:
            continue
        out.extend(EXPANSIONS.get(word, (word,)))
    return tuple(_norm_word(w) for w in out)


@dataclass
class Cluster:
    """One group of reasons believed to share a root cause.

    Attributes:
        label: Readable label: the most frequent reason, values masked.
        templates: The templates merged into the cluster, most frequent first.
        members: Indexes into the input list of reasons.
        texts: Counts of the real reason texts, most frequent first.
    """

    label: str
    templates: list[str] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    texts: Counter[str] = field(default_factory=Counter)


def _mine_templates(
    seqs: list[tuple[str, ...]], weights: list[int], similarity: float
) -> tuple[list[list[str]], list[int]]:
    """Drain-like templates; returns the templates and each sequence's template index."""
    templates: list[list[str]] = []
    by_len: dict[int, list[int]] = defaultdict(list)
    assign = [0] * len(seqs)
    order = sorted(range(len(seqs)), key=lambda i: (-weights[i], seqs[i]))
    for i in order:
        seq = seqs[i]
        best, best_sim = -1, 0.0
        for j in by_len[len(seq)]:
            tpl = templates[j]
            if tpl[0] != seq[0] and tpl[0] != "<*>":
                continue
            same = sum(1 for a, b in zip(tpl, seq, strict=True) if a == b or a == "<*>")
            sim = same / max(1, len(seq))
            if sim > best_sim:
                best, best_sim = j, sim
        merged = (
            [a if a == b else "<*>" for a, b in zip(templates[best], seq, strict=True)]
            if best >= 0 and best_sim >= similarity
            else []
        )
        if sum(1 for w in merged if not w.startswith("<")) >= 2:
            templates[best] = merged
            assign[i] = best
        else:
            templates.append(list(seq))
            by_len[len(seq)].append(len(templates) - 1)
            assign[i] = len(templates) - 1
    return templates, assign


def _merge(
    templates: list[list[str]], counts: list[int], distance: float,
    links: Counter[tuple[int, int]] | None = None, min_links: int = 2,
) -> list[int]:
    """Agglomerative (average linkage) merge of templates; returns a label per template.

    ``links`` counts pairs of templates seen on consecutive failing checks of one gate
    (a retry failing again); two templates linked at least ``min_links`` times get the
    similarity ``l_ab / sqrt(L_a * L_b)`` (``L`` = all links of a template) when that is
    higher than their text similarity."""
    n = len(templates)
    if n == 1:
        return [0]
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    sets = [{w for w in t if w != "<*>"} for t in templates]
    df: Counter[str] = Counter(w for s in sets for w in s)
    vocab = sorted(df)
    index = {w: k for k, w in enumerate(vocab)}
    matrix = np.zeros((n, len(vocab)))
    for row, words in enumerate(sets):
        for w in words:
            weight = math.log((1 + n) / (1 + df[w])) + 1.0
            matrix[row, index[w]] = weight * (0.3 if w.startswith("<") else 1.0)
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    matrix = matrix / norms[:, None]
    dist = np.clip(pdist(matrix, metric="cosine"), 0.0, 2.0)
    dist = np.nan_to_num(dist, nan=1.0)
    if links:
        from scipy.spatial.distance import squareform

        square = squareform(dist)
        total: Counter[int] = Counter()
        for (a, b), count in links.items():
            total[a] += count
            total[b] += count
        for (a, b), count in links.items():
            if a != b and count >= min_links:
                affinity = count / math.sqrt(total[a] * total[b])
                square[a, b] = square[b, a] = min(square[a, b], 1.0 - affinity)
        dist = squareform(square, checks=False)
    tree = linkage(dist, method="average")
    labels = fcluster(tree, t=distance, criterion="distance")
    return [int(x) - 1 for x in labels]


def render(template: Sequence[str]) -> str:
    """A template as readable text."""
    return " ".join(template)


def cluster_reasons(
    reasons: Sequence[str],
    *,
    template_similarity: float = 0.5,
    merge_distance: float = 0.75,
    links: Sequence[tuple[int, int]] = (),
    min_links: int = 2,
) -> tuple[list[int], list[Cluster]]:
    """Cluster the failure reasons of one gate.

    Args:
        reasons: The reason texts (empty strings are allowed and form their own cluster).
        template_similarity: Share of equal positions for two token sequences of equal
            length to share a template.
        merge_distance: Cosine distance (0-1) under which clusters of templates merge
            (average linkage).
        links: Pairs of indexes of ``reasons`` that followed each other on one gate (a
            retry that failed again), evidence that they share a cause.
        min_links: Links needed before a pair of templates counts as linked.

    Returns:
        The cluster index of each reason, and the clusters (largest first; indexes
        refer to this order).
    """
    if not reasons:
        return [], []
    unique: dict[tuple[str, ...], int] = {}
    seq_of = []
    for text in reasons:
        seq = tokens(text or "") or ("<empty>",)
        seq_of.append(unique.setdefault(seq, len(unique)))
    seqs = list(unique)
    weights = [0] * len(seqs)
    for s in seq_of:
        weights[s] += 1
    templates, assign = _mine_templates(seqs, weights, template_similarity)
    tpl_counts = [0] * len(templates)
    for s, w in enumerate(weights):
        tpl_counts[assign[s]] += w
    tpl_links: Counter[tuple[int, int]] = Counter()
    for i, j in links:
        a, b = assign[seq_of[i]], assign[seq_of[j]]
        tpl_links[(min(a, b), max(a, b))] += 1
    group_of_tpl = _merge(templates, tpl_counts, merge_distance, tpl_links, min_links)
    groups: dict[int, Cluster] = {}
    tpl_by_group: dict[int, Counter[int]] = defaultdict(Counter)
    for i, text in enumerate(reasons):
        tpl = assign[seq_of[i]]
        g = group_of_tpl[tpl]
        cluster = groups.setdefault(g, Cluster(label=""))
        cluster.members.append(i)
        cluster.texts[text or ""] += 1
        tpl_by_group[g][tpl] += 1
    for g, cluster in groups.items():
        ranked = sorted(tpl_by_group[g].items(), key=lambda kv: (-kv[1], kv[0]))
        cluster.templates = [render(templates[t]) for t, _ in ranked]
        masked: Counter[str] = Counter()
        for text, count in cluster.texts.items():
            label = " ".join(mask(text).split())
            masked[re.sub(r"\s+([)\],;:])", r"\1", re.sub(r"([(\[])\s+", r"\1", label))] += count
        cluster.label = min(masked.items(), key=lambda kv: (-kv[1], kv[0]))[0] or "<empty>"
    ordered = sorted(groups.values(), key=lambda c: (-len(c.members), c.label))
    position = {id(c): k for k, c in enumerate(ordered)}
    labels = [0] * len(reasons)
    for cluster in ordered:
        for i in cluster.members:
            labels[i] = position[id(cluster)]
    return labels, ordered
