"""The HTML of the class report (``report.html``) and of the similarity report
(``similarity.html``): self-contained pages built with :mod:`genlab.grading.pages`."""

from __future__ import annotations

from genlab.grading.pages import bar_chart, esc, page, table

__all__ = ["render_class_report", "render_similarity"]


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _seconds(value) -> str:
    return "–" if value is None else f"{value:.1f} s"


def _section(m: dict, site_url: str | None) -> str:
    section = m.get("section")
    if not section:
        return "–"
    title = esc(section["title"])
    if site_url:
        href = f"{site_url.rstrip('/')}/{section['page']}"
        title = f'<a href="{esc(href)}">{title}</a>'
    return f"{title}<br><code>{esc(section['notebook'])}</code>"


def _common(summary: dict, site_url: str | None) -> str:
    common = summary["common_mistakes"]
    if not common:
        return "<p>No named mistakes in this run.</p>"
    top = common[:10]
    chart = bar_chart(
        [str(i) for i in range(1, len(top) + 1)],
        [round(100 * m["share"]) for m in top],
        alt="Share of the submissions answering each question that made each of the "
        + str(len(top))
        + " most common named mistakes, in percent: "
        + "; ".join(
            f"{i}. {m['label']} ({m['question']}): {_pct(m['share'])}" for i, m in enumerate(top, 1)
        ),
        xlabel="mistake (rank)",
        ylabel="% of answers",
        mistakes=True,
        width=420,
        height=170,
    )
    rows = [
        [
            i,
            m["label"],
            ("html", f"<code>{esc(m['question'])}</code><br>{esc(m['assignment'])}"),
            m["count"],
            _pct(m["share"]),
            ("html", _section(m, site_url)),
        ]
        for i, m in enumerate(common[:25], 1)
    ]
    return chart + table(
        ["#", "mistake", "question", "answers", "share", "where the lecture teaches it"],
        rows,
        numeric=(0, 3, 4),
    )


def _question_card(q: dict) -> str:
    labels = list(q["points"])
    counts = [q["points"][k] for k in labels]
    alt = (
        f"Points on {q['question']} ({q['assignment']}), out of {q['max_points']:g}: "
        + ", ".join(f"{c} submission(s) with {k}" for k, c in zip(labels, counts, strict=True))
    )
    chart = bar_chart(labels, counts, alt=alt, xlabel="points", ylabel="submissions")
    facts = (
        f"<p>pass rate <b>{_pct(q['pass_rate'])}</b> ({q['passed']} of {q['submissions']}); "
        + (
            f"median kernel time {_seconds(q['median_seconds'])}"
            if q["median_seconds"] is not None
            else "kernel time per question not recorded"
        )
        + "</p>"
    )
    mistakes = [m for m in q["mistakes"]]
    listing = (
        table(
            ["why it failed", "share"],
            [
                [
                    ("html", f'{esc(m["label"])} <small class="kind">({esc(m["kind"])})</small>'),
                    _pct(m["share"]),
                ]
                for m in mistakes[:8]
            ],
            numeric=(1,),
        )
        if mistakes
        else ""
    )
    return (
        f'<div class="card"><h3><code>{esc(q["question"])}</code> '
        f"<small>{esc(q['assignment'])}</small></h3>{facts}{chart}{listing}</div>"
    )


def _roster(summary: dict) -> str:
    roster = summary.get("roster")
    if not roster:
        return ""
    parts = [f"<p>Roster: {roster['students']} row(s).</p>"]
    if roster["missing"]:
        parts.append(
            "<h3>On the roster, no submission (scored 0 in the gradebooks)</h3>"
            + table(
                ["student_id", "name", "file"],
                [[m["student_id"], m["name"], m["file"]] for m in roster["missing"]],
            )
        )
    if roster["unknown"]:
        parts.append(
            '<h3>Submitted, not on the roster (left out of the gradebooks)</h3><p class="note">'
            "Add these files to the roster and export again: "
            + ", ".join(f"<code>{esc(u)}</code>" for u in roster["unknown"])
            + "</p>"
        )
    return "<h2>Roster</h2>" + "".join(parts)


def render_class_report(summary: dict, site_url: str | None = None) -> str:
    """``report.html`` from :func:`genlab.grading.report.class_summary`'s data."""
    questions = summary["questions"]
    assignments = sorted({q["assignment"] for q in questions})
    timing = any(q["median_seconds"] is not None for q in questions)
    lead = (
        f"{summary['submissions']} submission(s) of {', '.join(assignments) or 'no assignment'}"
        f"; median grading time per submission "
        f"{_seconds(summary['median_seconds_per_submission'])}."
        + ("" if timing else " (The results of this run do not record time per question.)")
    )
    students = [
        [
            s["submission"],
            s["student_id"],
            s["name"],
            s["assignment"],
            f"{s['points']:g} / {s['max_points']:g}",
            s["status"],
        ]
        for s in summary["students"]
    ]
    body = (
        "<h1>Class report</h1>"
        f'<p class="lead">{esc(lead)} Written by <code>genlab grade</code> from '
        "<code>grades.csv</code>; the same figures are in <code>report.json</code> and "
        "<code>report-*.csv</code>. Points are the auto-graded ones; written answers are "
        "graded by hand.</p>"
        "<h2>The class's most common mistakes</h2>"
        "<p>Each named mistake, with the share of the answers to its question that made it, "
        "and the section of the lecture that teaches the point.</p>"
        + _common(summary, site_url)
        + '<h2>Questions</h2><div class="grid">'
        + "".join(_question_card(q) for q in questions)
        + "</div>"
        + _roster(summary)
        + "<h2>Students</h2>"
        + table(["submission", "student_id", "name", "assignment", "points", "notebook"], students)
    )
    return page("Class report", body)


# ---------------------------------------------------------------------------- similarity


def _diff_html(diff: str) -> str:
    lines = []
    for line in diff.splitlines():
        cls = (
            "add"
            if line.startswith("+") and not line.startswith("+++")
            else "del"
            if line.startswith("-") and not line.startswith("---")
            else ""
        )
        lines.append(f'<span class="{cls}">{esc(line)}</span>' if cls else esc(line))
    return "<pre>" + "\n".join(lines) + "</pre>"


def _pairs(pairs: list) -> str:
    if not pairs:
        return "<p>No pair of submissions is alike on several questions beyond chance.</p>"
    rows = [[a, p.a, p.b, len(p.diffs), f"{p.chance:.1e}"] for a, p in pairs[:200]]
    head = ["assignment", "submission", "and submission", "questions alike", "chance if alone"]
    parts = [table(head, rows, numeric=(3, 4))]
    for _, p in pairs[:50]:
        diffs = "".join(f"<p><code>{esc(q)}</code></p>{_diff_html(d)}" for q, d in p.diffs.items())
        parts.append(
            f"<details><summary>{esc(p.a)} and {esc(p.b)}: {len(p.diffs)} questions"
            f"</summary>{diffs}</details>"
        )
    return "".join(parts)


def _clusters(assignment: str, r) -> str:
    parts = [f"<h3><code>{esc(r.question)}</code> <small>{esc(assignment)}</small></h3>"]
    if r.reference:
        parts.append(
            '<p class="note">Identical to the reference solution (after normalisation): '
            + ", ".join(f"<code>{esc(n)}</code>" for n in r.reference)
            + ". The reference should not be circulating.</p>"
        )
    for k, cluster in enumerate(r.clusters, 1):
        best = cluster.pairs[0][2] if cluster.pairs else 0.0
        parts.append(
            f"<p>Cluster {k}: {len(cluster.members)} answers, closest pair "
            f"{100 * best:.0f}% alike: "
            + ", ".join(f"<code>{esc(m)}</code>" for m in cluster.members)
            + "</p>"
        )
        for a, b, score, diff in cluster.pairs:
            if diff:
                parts.append(
                    f"<details><summary>{esc(a)} and {esc(b)}: {100 * score:.0f}% alike"
                    f"</summary>{_diff_html(diff)}</details>"
                )
    return "".join(parts)


def render_similarity(
    results: list,
    pairs: list = (),
    *,
    threshold: float,
    min_tokens: int,
    submissions: int,
    seconds: float | None = None,
) -> str:
    """``similarity.html`` from :func:`genlab.grading.similarity.compare`'s findings:
    ``results``, ``(assignment, QuestionSimilarity)``; ``pairs``, ``(assignment, AlikePair)``."""
    flagged = sum(len(c.members) for _, r in results for c in r.clusters)
    head = [
        "assignment",
        "question",
        "answers",
        "left as the stub",
        "identical to the reference",
        "too short to compare",
        "written as many wrote it",
        "clusters",
        "answers in clusters",
    ]
    rows = [
        [
            a,
            r.question,
            r.answers,
            f"{len(r.stub)} ({_pct(len(r.stub) / r.answers if r.answers else None)})",
            len(r.reference),
            r.short,
            sum(size for size, _ in r.common),
            len(r.clusters),
            sum(len(c.members) for c in r.clusters),
        ]
        for a, r in results
    ]
    sections = [_clusters(a, r) for a, r in results if r.clusters or r.reference]
    timing = "" if seconds is None else f" Compared in {seconds:.1f} s."
    body = (
        "<h1>Similar answers</h1>"
        f'<p class="lead">{submissions} submission(s); {flagged} answer(s) in clusters of '
        f"near-identical answers; {len(pairs)} pair(s) of submissions alike on several "
        f"questions.{esc(timing)}</p>"
        '<p class="note"><b>This page flags answers for review; it never changes a grade.</b> '
        "Answers that look alike may have been written alike: read the pairs before acting.</p>"
        "<p>How answers are compared: each answer cell is parsed, its comments, docstrings, "
        "layout and literal values dropped and the names it defines renamed; two answers are "
        f"near-identical when at least {100 * threshold:.0f}% of their 4-token runs (within "
        "statements, the exercise's own stub taken out) are shared. Answers shorter than "
        f"{min_tokens} tokens are not compared, and a cluster of at least 5 answers (and 2% of "
        "them) is counted as the way many wrote it, not flagged: many students write a short "
        "answer, or the usual form of a line, the same way.</p>"
        "<h2>Per question</h2>"
        + table(head, rows, numeric=(2, 3, 4, 5, 6, 7, 8))
        + "<h2>Submissions alike on several questions</h2>"
        "<p>Pairs whose answers are near-identical on two or more questions, where that is "
        "unlikely for two students who worked alone: <i>chance if alone</i> multiplies, over "
        "those questions, the share of the other answers at least as close to the pair's as "
        "the two are to each other (plus one); "
        "a pair is listed when it is below 0.05 divided by the number of pairs of submissions "
        "(so that a class whose students all worked alone has about 0.05 pairs listed).</p>"
        + _pairs(list(pairs))
        + "<h2>Clusters, with the diff of each pair</h2>"
        + ("".join(sections) or "<p>No clusters and no copies of the reference.</p>")
    )
    return page("Similar answers", body)
