"""The LMS gradebooks against the import formats they follow (see genlab.grading.lms): Canvas's
Gradebook import (its export's layout, with the Points Possible row) and Moodle's CSV grade
import (an identifying column and one column per grade item), and the roster's rules."""

from __future__ import annotations

import csv
import io

import pytest

from genlab.grading.lms import FORMATS, Roster, gradebook, write_gradebooks

ROSTER = """student_id,name,file
s1,"Lovelace, Ada",ada-vae.ipynb
s1,"Lovelace, Ada",ada-gan.ipynb
s2,Ben Okafor,ben-vae.ipynb
s3,Chen Wei,chen-vae.ipynb
"""
# what the class report gives: each submission's assignment and auto-graded points
STUDENTS = [
    {
        "submission": "subs/ada-vae.ipynb",
        "assignment": "03_gaussian_vae",
        "points": 8,
        "max_points": 8,
    },
    {"submission": "subs/ada-gan.ipynb", "assignment": "05_gan", "points": 3.5, "max_points": 6},
    {
        "submission": "subs/ben-vae.ipynb",
        "assignment": "03_gaussian_vae",
        "points": 2,
        "max_points": 8,
    },
    {
        "submission": "subs/eve-vae.ipynb",
        "assignment": "03_gaussian_vae",
        "points": 8,
        "max_points": 8,
    },
]


@pytest.fixture
def written(tmp_path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(ROSTER)
    roster = Roster.read(roster_path)
    paths, book = write_gradebooks(tmp_path, STUDENTS, roster, list(FORMATS))
    tables = {}
    for path in paths:
        raw = path.read_bytes()
        assert raw.endswith(b"\r\n") and b"\r\n" in raw.split(b"\n")[0] + b"\n"  # RFC 4180
        tables[path.name] = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    return tables, book


def test_canvas_layout(written):
    tables, _ = written
    table = tables["gradebook-canvas.csv"]
    head = table[0]
    assert head[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert head[5:] == ["03_gaussian_vae", "05_gan"]  # one column per assignment
    assert table[1][0] == "Points Possible" and table[1][5:] == ["8", "6"]
    rows = {r[2]: r for r in table[2:]}  # by SIS User ID, the roster's student_id
    assert len(table[2:]) == len(rows) == 3  # one row per student, not per file
    assert rows["s1"][0] == "Lovelace, Ada" and rows["s1"][5:] == ["8", "3.5"]
    assert rows["s2"][5:] == ["2", "0"]  # no GAN submission: 0
    assert rows["s3"][5:] == ["0", "0"]  # nothing submitted: 0 everywhere
    assert all(len(r) == len(head) for r in table)


def test_moodle_layout(written):
    tables, _ = written
    table = tables["gradebook-moodle.csv"]
    assert table[0] == ["ID number", "Full name", "03_gaussian_vae", "05_gan"]
    ids = [r[0] for r in table[1:]]
    assert ids == ["s1", "s2", "s3"] and len(set(ids)) == len(ids)  # the column maps users
    for row in table[1:]:  # grade items are numbers, no Points Possible row
        assert all(float(v) >= 0 for v in row[2:])


def test_wide_total_and_roster_loose_ends(written):
    tables, book = written
    table = tables["gradebook-wide.csv"]
    assert table[0] == ["student_id", "name", "03_gaussian_vae", "05_gan", "total"]
    for row in table[1:]:
        assert float(row[-1]) == pytest.approx(sum(float(v) for v in row[2:-1]))
    assert book.unknown == ["subs/eve-vae.ipynb"]  # reported, and in no gradebook
    assert not any("eve" in cell for t in tables.values() for r in t for cell in r)
    assert book.missing == [("s2", "05_gan"), ("s3", "03_gaussian_vae"), ("s3", "05_gan")]


def test_the_higher_of_two_submissions_counts(tmp_path):
    roster = Roster.read(_roster(tmp_path, "student_id,name,file\n1,A,a1.ipynb\n1,A,a2.ipynb\n"))
    students = [
        {"submission": f"a{i}.ipynb", "assignment": "x", "points": p, "max_points": 4}
        for i, p in ((1, 3), (2, 1))
    ]
    assert gradebook(students, roster).rows == [("1", "A", {"x": 3.0})]


def _roster(tmp_path, text):
    path = tmp_path / "roster.csv"
    path.write_text(text)
    return path


def test_bad_rosters_and_formats_are_refused(tmp_path):
    with pytest.raises(ValueError, match="lacks file"):
        Roster.read(_roster(tmp_path, "student_id,name\n1,A\n"))
    with pytest.raises(ValueError, match="listed twice"):
        Roster.read(_roster(tmp_path, "student_id,name,file\n1,A,a.ipynb\n2,B,a.ipynb\n"))
    with pytest.raises(ValueError, match="line 2"):
        Roster.read(_roster(tmp_path, "student_id,name,file\n,A,a.ipynb\n"))
    roster = Roster.read(_roster(tmp_path, "\ufeffstudent_id,name,file\n1,A,a.ipynb\n"))
    assert roster.student_for("folder/a.ipynb").student_id == "1"  # Excel's BOM is fine
    with pytest.raises(ValueError, match="export must be one of"):
        write_gradebooks(tmp_path, [], roster, ["blackboard"])
