"""Tests of scripts/check-labels: the repository is clean, and each kind of defect is reported."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SCRIPT = os.path.join(ROOT, "scripts", "check-labels")


def run(root=None):
    args = [sys.executable, SCRIPT] + ([str(root)] if root else [])
    return subprocess.run(args, capture_output=True, text=True)


def make_repo(tmp_path, notes, sources=None):
    (tmp_path / "notes").mkdir()
    for name, text in notes.items():
        (tmp_path / "notes" / name).write_text(text)
    for path, text in (sources or {}).items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return tmp_path


ALPHA = "# alpha\n\n**(A1)** A bold definition.\n\n    (A2)  x = y          displayed, label first\n    z = w   (A3)\n"
BETA = "# beta\n\n    (B1)  u = v\n\nUses notes/alpha.md (A2) and (A3).\n"


def test_repository_labels_are_consistent():
    result = run()
    assert result.returncode == 0, result.stderr
    assert "all resolved" in result.stdout


def test_clean_fixture_passes(tmp_path):
    root = make_repo(tmp_path, {"alpha.md": ALPHA, "beta.md": BETA},
                     {"Sources/M/F.swift": "// eq. A1 and notes/beta.md (B1)\n"})
    result = run(root)
    assert result.returncode == 0, result.stderr
    assert "4 labels in 2 notes" in result.stdout


@pytest.mark.parametrize("notes, sources, message", [
    # a label defined twice in one note
    ({"alpha.md": ALPHA + "\n**(A2)** again\n"}, None, "(A2) is defined twice"),
    # a prefix shared by two notes
    ({"alpha.md": ALPHA, "gamma.md": "**(A9)** a stray A label\n"}, None, "prefix A is also defined in notes/alpha.md"),
    # a note with two prefixes
    ({"alpha.md": ALPHA + "\n**(B7)** wrong prefix\n"}, None, "several prefixes"),
    # a citation of an undefined label
    ({"alpha.md": ALPHA, "beta.md": BETA}, {"Tests/T/X.swift": "// checks eq. A4 of the alpha note\n"},
     "Tests/T/X.swift:1: (A4) is cited but defined in no note"),
], ids=["defined-twice", "prefix-shared", "two-prefixes", "undefined-citation"])
def test_defect_is_reported(tmp_path, notes, sources, message):
    result = run(make_repo(tmp_path, notes, sources))
    assert result.returncode == 1
    assert message in result.stderr


def test_citation_naming_the_wrong_note(tmp_path):
    root = make_repo(tmp_path, {"alpha.md": ALPHA, "beta.md": BETA},
                     {"README.md": "See notes/beta.md (A1), (B1).\n"})
    result = run(root)
    assert result.returncode == 1
    assert "README.md:1: (A1) is cited as notes/beta.md but defined in notes/alpha.md" in result.stderr
    assert "(B1)" not in result.stderr


def test_fences_and_backticks_define_nothing(tmp_path):
    text = ALPHA + "\n```\n    (A5)  program output\nresult (A6)\n```\nExample: `**(A7)**`.\n"
    root = make_repo(tmp_path, {"alpha.md": text})
    result = run(root)
    assert result.returncode == 1
    for label in ("A5", "A6", "A7"):
        assert f"({label}) is cited but defined in no note" in result.stderr
