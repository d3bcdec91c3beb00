"""Master sources: otter-grader's markers, the split of checks, the student version and the leak check."""

import json

import pytest

from cnn_course.grading._masters import (
    Master, check_specs, read_cells, replace_check_calls, strip_markdown_solutions, strip_solutions,
    write_ipynb, write_percent)
from tests.conftest import TOY


def test_read_cells_splits_kinds_and_tags():
    cells = read_cells(TOY)
    assert [c.kind for c in cells[:4]] == ["markdown", "code", "markdown", "code"]
    assert cells[0].source == "# Toy assignment\n\nDouble a number."
    assert [c.tags for c in cells if c.tags] == [("checks",), ("hidden-checks",)]


def test_percent_round_trip_keeps_every_cell():
    cells = read_cells(TOY)
    again = read_cells(write_percent(cells))
    assert [(c.kind, c.source, c.tags) for c in again] == [(c.kind, c.source, c.tags) for c in cells]


@pytest.mark.parametrize("line, student", [
    ("x = 3  # SOLUTION", "x = ...  # your answer"),
    ("    return a + b  # SOLUTION", "    return ...  # your code here"),
    ("model.add(layer)  # SOLUTION", "...  # your code here"),
    ("weights[0] = 1.5  # SOLUTION", "weights[0] = ...  # your answer"),
    ("a, b = 1, 2 # SOLUTION", "a, b = ...  # your answer"),
    ("ok = x == 2  # SOLUTION", "ok = ...  # your answer"),
    ("plain = 1", "plain = 1"),
])
def test_solution_lines_become_placeholders_as_in_otter(line, student):
    assert strip_solutions(line) == student


def test_solution_block_keeps_its_indent_and_no_prompt_leaves_nothing():
    code = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n"
    assert strip_solutions(code) == "def f():\n    ...  # your code here"
    code = "a = 1\n# BEGIN SOLUTION NO PROMPT\nb = 2\n# END SOLUTION\nc = 3"
    assert strip_solutions(code) == "a = 1\nc = 3"


def test_prompt_block_is_uncommented_for_the_student():
    code = ("# BEGIN SOLUTION NO PROMPT\nloss = 'right'\n# END SOLUTION\n"
            "# BEGIN PROMPT\n# loss = 'wrong'\n#     indented = 1\n# END PROMPT")
    assert strip_solutions(code) == "loss = 'wrong'\n    indented = 1"


@pytest.mark.parametrize("code", ["# BEGIN SOLUTION\nx = 1", "x = 1\n# END SOLUTION",
                                  "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION",
                                  "# END PROMPT"])
def test_unbalanced_markers_are_errors(code):
    with pytest.raises(ValueError):
        strip_solutions(code)


def test_markdown_solutions_are_removed():
    assert strip_markdown_solutions("Why? <!-- BEGIN SOLUTION -->Because.<!-- END SOLUTION -->") == "Why? "


def test_check_specs_read_points_without_running_the_code():
    specs = check_specs('@public("q3", points=2)\ndef a(x):\n    """First line.\n\n    More."""\n'
                        '@hidden("q3", 0.5)\ndef b(y): pass\ndef helper(): pass\n')
    assert [(s.question, s.name, s.points, s.hidden, s.description) for s in specs] == [
        ("q3", "a", 2, False, "First line"), ("q3", "b", 0.5, True, "b")]


def test_master_questions_points_and_version(toy):
    assert toy.questions == {"q1": {"public": 1, "hidden": 2, "hidden_checks": ["negative numbers (2)"]},
                             "q2": {"public": 0, "hidden": 1.5, "hidden_checks": ["the answer (1.5)"]}}
    assert toy.time_limit is None  # the toy sets none: the grader's default applies
    assert toy.total_points == 4.5
    assert len(toy.version) == 12 and toy.version == Master(toy.path).version


def test_student_version_has_no_solution_no_checks_and_no_leak(toy):
    cells = toy.student_cells()
    text = write_percent(cells) + write_ipynb(cells)
    for secret in ("2 * x", "2 * 21", "Because the answer", "doubles_two", "-74", "@hidden", "@public",
                   "SOLUTION"):
        assert secret not in text
    assert "def double(x):\n    ...  # your code here" in text
    assert toy.leaks([write_percent(cells)]) == []
    assert 'check("q1")' in text and 'check("q2")' in text


def test_leaks_finds_solution_and_hidden_lines_wherever_they_are(toy):
    assert toy.leaks(["    result = 2 * x"]) == ["result = 2 * x"]
    assert toy.leaks(['assert double(-37) == -74, "negative numbers are not doubled"'])
    # A written answer pasted inside another line is found too.
    assert toy.leaks(["# Why double? Because the answer is twice the question."]) == [
        "Because the answer is twice the question."]
    # What the student is meant to see (given code, public checks) is never a leak.
    assert toy.leaks([write_percent(toy.student_cells()), toy.public_checks_module()]) == []


def test_leaks_of_the_whole_master_include_every_secret(toy):
    found = toy.leaks([toy.text])
    assert "result = 2 * x" in found and "answer = 2 * 21" in found
    assert any("-74" in line for line in found)
    assert not any("double(2) == 4" in line for line in found)  # public checks are not secret


def test_public_checks_module_has_only_public_checks(toy):
    text = toy.public_checks_module()
    assert "doubles_two" in text and "doubles_negative_numbers" not in text and "-74" not in text
    namespace = {}
    exec(compile(text, "<public>", "exec"), namespace)
    assert namespace["NAME"] == "toy" and namespace["VERSION"] == toy.version
    assert namespace["QUESTIONS"] == json.loads(json.dumps(toy.questions))


def test_master_without_check_cell_for_a_question_is_refused(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(TOY.replace('check("q2")', 'print("no check")'))
    with pytest.raises(ValueError, match='check\\("q2"\\)'):
        Master(path)


def test_two_checks_with_one_name_are_refused(tmp_path):
    path = tmp_path / "bad.py"
    renamed = TOY.replace("def the_answer", "def doubles_negative_numbers")
    path.write_text(renamed.replace('"q2", points=1.5', '"q1", points=1.5'))
    with pytest.raises(ValueError, match="share the name"):
        Master(path)


def test_replace_check_calls_keeps_indentation():
    code = 'x = 1\ncheck("q1")\nif x:\n    check(\'q2\')  # run it\nprint("check(q3)")'
    assert replace_check_calls(code, 'hook("{question}")') == (
        'x = 1\nhook("q1")\nif x:\n    hook("q2")\nprint("check(q3)")')


def test_ipynb_is_valid_and_has_no_outputs(toy):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.reads(write_ipynb(toy.student_cells()), as_version=4)
    nbformat.validate(notebook)
    assert all(c.outputs == [] for c in notebook.cells if c.cell_type == "code")
