"""Similar answers: normalisation undoes what a copier changes and keeps what a writer chooses;
the sparse all-pairs Jaccard equals a naive one; clusters, stubs and reference copies."""

from __future__ import annotations

import itertools
import random
import re

import numpy as np
import pytest

from genlab.grading.similarity import _similarities, compare, compare_question, normalise

STUB = '''def gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)), summed over the last dim."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''
REFERENCE = '''def gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)), summed over the last dim."""
    ### BEGIN SOLUTION
    return 0.5 * (mu**2 + torch.exp(logvar) - 1.0 - logvar).sum(-1)
    ### END SOLUTION
'''
ORIGINAL = """def gaussian_kl(mu, logvar):
    var = torch.exp(logvar)
    square = mu ** 2
    terms = square + var - 1.0 - logvar
    return 0.5 * terms.sum(dim=-1)
"""
COPY = """def gaussian_kl(m, lv):
    # the squared mean
    sq=m**2
    v = torch.exp( lv )   # variance

    t = sq+v-1-lv
    return .5*t.sum(dim = -1)
"""  # renamed, statements reordered, reformatted, commented, one literal changed
OWN = """def gaussian_kl(mu, logvar):
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
    return kl
"""


def test_normalisation_undoes_renaming_layout_comments_and_literals():
    a, b = normalise(ORIGINAL), normalise(COPY)
    assert a.shingles == b.shingles  # statement order does not matter
    assert (
        normalise(REFERENCE).text
        == normalise(
            "def gaussian_kl(a, b):\n    return 0.25 * (a ** 2 + torch.exp(b) - 2 - b).sum(-3)"
        ).text
    )  # docstring, markers and literals gone; names canonical
    assert normalise(OWN).shingles != a.shingles
    # names that are read, not bound, are kept: torch.exp is not torch.log
    assert (
        normalise("def f(x):\n    return torch.exp(x)").text
        != normalise("def f(x):\n    return torch.log(x)").text
    )


def test_a_cell_that_does_not_parse_is_still_compared():
    broken = "def f(x)\n    return x.sum(-1) + 1  # note\n"
    again = "def f(x)\n    return x.sum(-2) + 7\n"
    assert normalise(broken).text == normalise(again).text


def test_sparse_jaccard_matches_naive_sets():
    rng = random.Random(0)
    sets = [frozenset(rng.sample(range(60), rng.randrange(1, 30))) for _ in range(25)]
    got = _similarities(sets)
    for i, j in itertools.product(range(len(sets)), repeat=2):
        want = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
        assert got[i, j] == pytest.approx(want, abs=1e-12)
    assert np.allclose(np.diag(got), 1.0)


def test_copies_cluster_and_independent_answers_do_not():
    answers = {
        "ann": ORIGINAL,
        "bo": COPY,
        "cy": OWN,
        "di": STUB.replace("logvar):", "logvar):  "),
        "ed": "\n".join(line for line in REFERENCE.splitlines() if "###" not in line),
        "fay": "def gaussian_kl(mu, lv):\n    return mu",
    }
    result = compare_question("kl", answers, stub=STUB, reference=REFERENCE)
    assert [c.members for c in result.clusters] == [["ann", "bo"]]
    a, b, score, diff = result.clusters[0].pairs[0]
    assert (a, b, score) == ("ann", "bo", 1.0) and "+    sq=m**2" in diff
    assert result.stub == ["di"] and result.reference == ["ed"]
    assert result.short == 1  # fay's one-token body is not compared
    assert result.answers == 6


def test_threshold_decides_and_bad_arguments_are_refused():
    near = ORIGINAL.replace("terms.sum(dim=-1)", "terms.mean(dim=-1)")
    score = (
        compare_question("kl", {"a": ORIGINAL, "b": near}, threshold=0.5).clusters[0].pairs[0][2]
    )
    assert 0.5 < score < 1.0
    assert (
        compare_question(
            "kl", {"a": ORIGINAL, "b": near}, threshold=min(1.0, score + 0.01)
        ).clusters
        == []
    )
    with pytest.raises(ValueError, match="threshold"):
        compare_question("kl", {}, threshold=0)
    with pytest.raises(ValueError, match="min_tokens"):
        compare_question("kl", {}, min_tokens=-1)


def _program(rng: random.Random, question: int) -> str:
    """One of 4**3 = 64 distinct bodies for question ``question``: an independent writer.
    (Two answers of 41 students alike on 5 questions, one of them common to all: a chance of
    about (1/41)**4 = 4e-7 if they worked alone, below 0.05 / 820 pairs = 6e-5.)"""
    unary = rng.choice(["exp", "log", "sigmoid", "tanh"])
    binary = rng.choice(["+", "*", "-", "/"])
    reduce = rng.choice(["sum", "mean", "amax", "logsumexp"])
    return (
        f"def f{question}(x, y):\n    a = torch.{unary}(x)\n    b = a {binary} y\n"
        f"    return torch.{reduce}(b * {question}, dim=-1)\n"
    )


def test_pairs_alike_on_several_questions_are_flagged_and_common_answers_are_not():
    rng = random.Random(1)
    common = "def g(x):\n    total = x.sum(-1) + x.mean(-1) * 2\n    return total.exp() - 1\n"
    students = {
        f"s{i:02d}": {**{f"q{k}": _program(rng, k) for k in (1, 2, 4, 5)}, "q3": common}
        for i in range(40)
    }
    copy = {q: re.sub(r"\bx\b", "inp", a).replace(" = ", "=") for q, a in students["s00"].items()}
    students["s40"] = copy
    found = compare(students)
    by_question = {r.question: r for r in found.questions}
    assert by_question["q3"].clusters == [] and by_question["q3"].common[0][0] == 41
    assert [(p.a, p.b) for p in found.pairs] == [("s00", "s40")]
    pair = found.pairs[0]
    assert set(pair.diffs) == {"q1", "q2", "q3", "q4", "q5"}
    # chance: per question, (the other answers as close to the pair's + 1) / answers; the pair
    # is identical after normalisation, so those are the answers identical to it
    want = 1.0
    for q in pair.diffs:
        form = normalise(students["s00"][q]).shingles
        want *= (sum(normalise(a[q]).shingles == form for a in students.values()) - 1) / 41
    assert pair.chance == pytest.approx(want)
    with pytest.raises(ValueError, match="alpha"):
        compare(students, alpha=1.5)
