"""Answers that look alike: per question, which submissions' answer cells are near-identical.

Each answer cell is normalised before it is compared (:func:`normalise`): parsed into an AST,
docstrings, comments and formatting dropped, every literal replaced by ``...``, and every name
the cell binds (arguments, assignments, loop variables, imports, inner functions) renamed
canonically; names it only reads (``torch``, ``math``, helpers of the notebook) and attribute
names (``.exp``, ``.sum``) are kept, as they say what the code does. A cell that does not parse
is compared by its tokens with the same literal and name rules.

Two answers are compared by the Jaccard index of their token 4-grams, taken statement by
statement (so reordering independent statements changes nothing), after removing the
exercise stub's own 4-grams (the ``def`` line every answer shares). Every pair of a question is
scored at once by a sparse product of the answers' 4-gram incidence matrix with itself; only
pairs at or above ``threshold`` are diffed. Flagged pairs are joined into clusters. A cluster
of many answers (at least 5, and ``common`` = 2% of them) is the way the class writes that
answer: it is counted, not flagged. Answers shorter than ``min_tokens`` are counted but never
compared: a one-line answer written the same way by many students is no evidence. Across
questions, a pair of submissions whose answers are near-identical on several questions is
listed when that is unlikely for two students who worked alone (:func:`compare`), even where
each answer is a common one. Answers identical (after normalisation) to the exercise's stub,
or to the reference solution, are listed apart.

This flags answers for an instructor to read; it never changes a grade.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import math
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "AlikePair",
    "Cluster",
    "Normalised",
    "QuestionSimilarity",
    "Similarity",
    "compare",
    "compare_question",
    "normalise",
]

SHINGLE = 4  # tokens per shingle
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\S")
_KEEP = frozenset(dir(builtins)) | {"self", "cls"}


@dataclass(frozen=True)
class Normalised:
    """An answer cell after normalisation: its canonical text (equal texts mean the same code
    up to names, literals, comments and layout), its statements' tokens, and its shingles."""

    text: str
    tokens: int
    shingles: frozenset[int]


# ----------------------------------------------------------------------------- normalise


class _Bound(ast.NodeVisitor):
    """The names a cell binds, in order of first binding."""

    def __init__(self):
        self.names: dict[str, None] = {}

    def add(self, name: str) -> None:
        if name not in _KEEP:
            self.names.setdefault(name, None)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store | ast.Del):
            self.add(node.id)

    def visit_arg(self, node):
        self.add(node.arg)

    def visit_FunctionDef(self, node):
        self.add(node.name)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self.add(node.name)
        self.generic_visit(node)

    def visit_alias(self, node):
        self.add(node.asname or node.name.split(".")[0])

    def visit_ExceptHandler(self, node):
        if node.name:
            self.add(node.name)
        self.generic_visit(node)


class _Canonical(ast.NodeTransformer):
    """Rename bound names to ``v0, v1, ...``; literals become ``...``; docstrings go."""

    def __init__(self, names: Mapping[str, str]):
        self.names = names

    def visit_Name(self, node):
        return ast.copy_location(ast.Name(self.names.get(node.id, node.id), node.ctx), node)

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        node.annotation = None
        return node

    def visit_Constant(self, node):
        return ast.copy_location(ast.Constant(...), node)

    def visit_JoinedStr(self, node):
        return ast.copy_location(ast.Constant(...), node)

    def visit_alias(self, node):
        if node.asname:
            node.asname = self.names.get(node.asname, node.asname)
        return node

    def _body(self, node):
        body = [
            s
            for s in node.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant | ast.JoinedStr))
        ]
        node.body = body or [ast.Pass()]
        if hasattr(node, "name"):
            node.name = self.names.get(node.name, node.name)
        if hasattr(node, "returns"):
            node.returns = None
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Module = _body


def _statement_lines(tree: ast.Module) -> list[str]:
    """One line per statement (compound statements: their header), indented by depth."""
    return [line for line in ast.unparse(tree).split("\n") if line.strip()]


def _line_tokens(line: str, bound: frozenset[str]) -> list[str]:
    """A statement's tokens with every bound name written ``_``: independent of the order in
    which the cell first binds its names, hence of statement order."""
    depth = (len(line) - len(line.lstrip())) // 4
    words = [("_" if t in bound else t) for t in _TOKEN.findall(line)]
    return [f"@{depth}", *words]


def _fallback(source: str) -> tuple[str, list[list[str]]]:
    """Canonical text and statement tokens of a cell that does not parse: comments dropped,
    strings and numbers written ``...``, names kept."""
    lines = []
    for raw in source.split("\n"):
        code = re.sub(r"(\"[^\"]*\"|'[^']*')", "...", raw.split("#", 1)[0]).rstrip()
        code = re.sub(r"\b\d[\w.]*", "...", code)
        if code.strip():
            lines.append(code)
    text = "\n".join(" ".join(_TOKEN.findall(line)) for line in lines)
    return text, [_line_tokens(line, frozenset()) for line in lines]


def normalise(source: str) -> Normalised:
    """Normalise one answer cell (see the module docstring)."""
    source = "\n".join(
        line for line in source.split("\n") if not line.lstrip().startswith(("%", "!"))
    )  # IPython magics and shell lines
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        text, statements = _fallback(source)
    else:
        finder = _Bound()
        finder.visit(tree)
        names = {name: f"v{i}" for i, name in enumerate(finder.names)}
        tree = _Canonical(names).visit(tree)
        text = ast.unparse(tree)
        bound = frozenset(names.values())
        statements = [_line_tokens(line, bound) for line in _statement_lines(tree)]
    return Normalised(text, sum(len(s) - 1 for s in statements), _shingles(statements))


def _shingles(statements: Iterable[list[str]]) -> frozenset[int]:
    """Hashes of every run of SHINGLE tokens within a statement (a shorter statement: itself),
    numbered by repetition so that a statement written twice counts twice."""
    seen: dict[str, int] = {}
    out = set()
    for tokens in statements:
        runs = (
            [tokens]
            if len(tokens) <= SHINGLE
            else (tokens[i : i + SHINGLE] for i in range(len(tokens) - SHINGLE + 1))
        )
        for run in runs:
            key = "\x1f".join(run)
            seen[key] = seen.get(key, 0) + 1
            out.add(zlib.crc32(f"{key}\x1e{seen[key]}".encode()))
    return frozenset(out)


# ------------------------------------------------------------------------------- compare


@dataclass
class Cluster:
    """Submissions whose answers to one question are near-identical, and each flagged pair's
    similarity and unified diff (of the answers as written; "" beyond the closest
    ``max_diffs`` pairs)."""

    members: list[str]
    pairs: list[tuple[str, str, float, str]]


@dataclass
class QuestionSimilarity:
    """What :func:`compare_question` found for one question."""

    question: str
    answers: int  # submissions with an answer cell for this question
    stub: list[str] = field(default_factory=list)  # left as the exercise gave it
    reference: list[str] = field(default_factory=list)  # identical to the reference solution
    short: int = 0  # answers too short to compare
    clusters: list[Cluster] = field(default_factory=list)  # of fewer than ``common`` answers
    # clusters of many answers (their size, an example): how the class writes it, not flagged
    common: list[tuple[int, str]] = field(default_factory=list)
    alike: dict[tuple[str, str], float] = field(default_factory=dict)  # pair -> share


def _similarities(items: list[frozenset[int]]) -> np.ndarray:
    """(n, n) Jaccard indices of the shingle sets, by one sparse matrix product."""
    from scipy import sparse

    vocabulary: dict[int, int] = {}
    rows, cols = [], []
    for i, shingles in enumerate(items):
        for s in shingles:
            rows.append(i)
            cols.append(vocabulary.setdefault(s, len(vocabulary)))
    n = len(items)
    incidence = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n, max(1, len(vocabulary)))
    )
    shared = (incidence @ incidence.T).toarray()
    sizes = np.diag(shared).copy()
    union = sizes[:, None] + sizes[None, :] - shared
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, shared / union, 0.0)


def _diff(a: str, b: str, name_a: str, name_b: str) -> str:
    lines = difflib.unified_diff(
        a.strip("\n").splitlines(), b.strip("\n").splitlines(), name_a, name_b, lineterm="", n=2
    )
    return "\n".join(lines) or "(identical as written)"


def compare_question(
    question: str,
    answers: Mapping[str, str],
    *,
    stub: str | None = None,
    reference: str | None = None,
    threshold: float = 0.9,
    min_tokens: int = 12,
    common: float = 0.02,
    max_diffs: int = 20,
) -> QuestionSimilarity:
    """Compare the answers to one question (submission -> answer cell source)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1]; got {threshold!r}")
    if min_tokens < 0:
        raise ValueError(f"min_tokens must be >= 0; got {min_tokens!r}")
    result = QuestionSimilarity(question, len(answers))
    stub_form = normalise(stub) if stub is not None else None
    reference_form = normalise(reference) if reference is not None else None
    base = stub_form.shingles if stub_form else frozenset()
    names, shingles = [], []
    for name, source in answers.items():
        form = normalise(source)
        if stub_form is not None and form.text == stub_form.text:
            result.stub.append(name)
            continue
        if reference_form is not None and form.text == reference_form.text:
            result.reference.append(name)
        own = form.shingles - base
        if form.tokens < min_tokens or not own:
            result.short += 1
            continue
        names.append(name)
        shingles.append(own)
    if len(names) < 2:
        return result
    similar = _similarities(shingles)
    close = similar >= threshold - 1e-12
    np.fill_diagonal(close, False)
    first, second = (a.tolist() for a in np.nonzero(np.triu(close, k=1)))
    ordered = np.sort(similar, axis=1)  # each answer's similarities, ascending
    parent = list(range(len(names)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def at_least(i: int, score: float) -> int:  # answers as close to i as ``score``, i too
        return len(names) - int(np.searchsorted(ordered[i], score - 1e-12))

    for i, j in zip(first, second, strict=True):
        parent[root(i)] = root(j)
        # how common the pair's likeness is: the share of the other answers at least as close
        # to either as they are to each other (the pair itself left out, plus one: never 0)
        score = similar[i, j]
        others = max(at_least(i, score), at_least(j, score)) - 2
        result.alike[tuple(sorted((names[i], names[j])))] = (others + 1) / len(answers)
    groups: dict[int, list[int]] = {}
    for i in sorted({*first, *second}):
        groups.setdefault(root(i), []).append(i)
    pairs_of: dict[int, list[tuple[str, str, float]]] = {}
    for i, j in zip(first, second, strict=True):
        pairs_of.setdefault(root(i), []).append((names[i], names[j], float(similar[i, j])))
    crowd = max(5, math.ceil(common * len(answers)))
    for key, members in groups.items():
        if len(members) >= crowd:  # the way many in the class write it: no evidence
            result.common.append((len(members), names[members[0]]))
            continue
        pairs = sorted(pairs_of[key], key=lambda p: -p[2])
        pairs = [  # diffs of the closest pairs only: a large cluster has many
            (a, b, score, _diff(answers[a], answers[b], a, b) if k < max_diffs else "")
            for k, (a, b, score) in enumerate(pairs)
        ]
        result.clusters.append(Cluster([names[i] for i in members], pairs))
    result.clusters.sort(key=lambda c: (-len(c.members), c.members))
    result.common.sort(reverse=True)
    return result


@dataclass
class AlikePair:
    """Two submissions near-identical on several questions, and how unlikely that is for two
    students who worked alone (``chance``, see :func:`compare`); diffs by question."""

    a: str
    b: str
    chance: float
    diffs: dict[str, str]


@dataclass
class Similarity:
    """What :func:`compare` found: each question's findings, and the pairs of submissions
    alike on several questions."""

    questions: list[QuestionSimilarity]
    pairs: list[AlikePair]


def compare(
    submissions: Mapping[str, Mapping[str, str]],
    *,
    stubs: Mapping[str, str] | None = None,
    references: Mapping[str, str] | None = None,
    threshold: float = 0.9,
    min_tokens: int = 12,
    common: float = 0.02,
    alpha: float = 0.05,
    max_pairs: int = 50,
) -> Similarity:
    r"""Compare every question's answers across ``submissions`` (submission -> question ->
    answer cell source). ``stubs`` and ``references``: question -> the exercise's stub and
    the reference solution's cell.

    Across questions, a pair of submissions near-identical on two or more questions is listed
    when

    .. math:: \prod_q s_q \le \alpha / \binom{n}{2},

    where :math:`s_q = (m_q + 1) / N_q`, :math:`m_q` the number of question :math:`q`'s other
    answers at least as similar to either of the pair's as the two are to each other, and
    :math:`N_q` the number of answers (an estimate of the chance that a student who worked
    alone writes an answer this close), and
    :math:`n` the number of submissions: if students worked alone and independently, about
    ``alpha`` pairs of the whole class would be listed by chance.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")
    stubs, references = stubs or {}, references or {}
    questions = list(dict.fromkeys(q for answers in submissions.values() for q in answers))
    found = [
        compare_question(
            q,
            {name: answers[q] for name, answers in submissions.items() if q in answers},
            stub=stubs.get(q),
            reference=references.get(q),
            threshold=threshold,
            min_tokens=min_tokens,
            common=common,
        )
        for q in questions
    ]
    evidence: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for r in found:
        for pair, share in r.alike.items():
            evidence.setdefault(pair, []).append((r.question, share))
    n = len(submissions)
    limit = alpha / max(1, n * (n - 1) // 2)
    listed = []
    for (a, b), items in evidence.items():
        chance = math.prod(share for _, share in items)
        if len(items) >= 2 and chance <= limit:
            listed.append((chance, a, b, [q for q, _ in items]))
    listed.sort()
    pairs = [
        AlikePair(
            a,
            b,
            chance,
            {
                q: _diff(submissions[a][q], submissions[b][q], a, b) if k < max_pairs else ""
                for q in alike
            },
        )
        for k, (chance, a, b, alike) in enumerate(listed)
    ]
    return Similarity(found, pairs)
