"""The one table formatter (cnn_course.tables) and the tables built on it."""

import pytest

from cnn_course import cli, tables
from cnn_course.search import SearchResult


def test_text_table_aligns_each_column_as_asked_and_draws_a_rule():
    text = tables.text_table(["name", "n", "share"], [["cat", 3, 0.5], ["hedgehog", 12, 0.25]],
                             align="lrr", rule=True)
    assert text.splitlines() == [
        "name       n  share",
        "--------  --  -----",
        "cat        3  0.500",
        "hedgehog  12  0.250",
    ]
    assert all(line == line.rstrip() for line in text.splitlines())


def test_html_table_escapes_and_marks_code_right_aligned_and_footer_cells():
    out = tables.html_table(["layer", "shape"], [["<conv>", "(None, 8)"]], align="lr", code=(1,),
                            footer=["Total params: 10"], title="Model: a&b")
    assert out.startswith("<p><b>Model: a&amp;b</b></p><table>")
    assert "<td>&lt;conv&gt;</td>" in out
    assert '<td style="text-align:right"><code>(None, 8)</code></td>' in out
    assert '<tfoot><tr><td colspan="2"><b>Total params: 10</b></td></tr></tfoot>' in out


def test_bad_alignment_is_named():
    with pytest.raises(ValueError, match=r"The `align` argument must be a string of 2 letters .*Received: align='x'"):
        tables.text_table(["a", "b"], [], align="x")


def test_the_demo_and_search_tables_come_from_the_formatter():
    row = {"model": "dense", "parameters": 1234, "epochs": 3, "best_epoch": 2, "first_epoch_val_above_half": None,
           "train_accuracy": 0.5, "val_accuracy": 0.25, "test_accuracy": 0.125, "seconds": 1.0}
    lines = cli._format_table([row]).splitlines()
    rule = lines[1].split()
    assert len(rule) == 8 and all(set(part) == {"-"} for part in rule)  # one dash run per column
    assert lines[2].split() == ["dense", "1,234", "3", "(best", "2)", "never", "0.500", "0.250", "0.125", "1.0"]
    result = SearchResult([{"trial": 0, "config": {"lr": 0.01}, "metrics": {"val_accuracy": 0.5}, "seconds": 2.0}])
    assert str(result).splitlines()[1:] == tables.text_table(
        ["rank", "trial", "lr", "val_accuracy", "seconds"], [["1", "0", "0.01", "0.5", "2.0"]]).splitlines()
