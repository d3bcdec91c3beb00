"""Notebooks: each .ipynb matches its # %% source, holds no outputs, and runs top to bottom in quick mode."""

import json
import pathlib
import re
import sys

import nbformat
import pytest

from tests.conftest import ONE_THREAD_PER_WORKER

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.py"))
#: nbclient's limit for one cell in quick mode: it stops a hung cell (speed is measured in
#: benchmarks/bench_notebooks.py, never asserted here).
CELL_TIMEOUT_SECONDS = 180
#: Calls that train or run a network for long, as the notebooks make them: a cell with one
#: must show progress.
TRAINS = re.compile(r"\b(?:training\.fit|learning_curves\.(?:learning|capacity)_curve"
                    r"|search\.(?:grid|random)_search|transfer\.extract_features)\(")
#: A progress line of cnn_course.progress: "[name: ]label i/n  ...  (1.2 s)".
PROGRESS_LINE = re.compile(r"^.*\b\d+/\d+\b.*  \(\d+\.\d s\)$", re.MULTILINE)
#: What garbles captured output: backspaces, carriage returns that overwrite a line, escape codes.
CONTROL = re.compile(r"\x08|\r(?!\n)|\x1b")

sys.path.insert(0, str(ROOT / "tools"))
import sync_notebooks  # noqa: E402


def test_every_source_has_a_notebook_and_back():
    assert SOURCES, "no notebook sources found"
    assert {p.stem for p in SOURCES} == {p.stem for p in NOTEBOOKS.glob("*.ipynb")}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_its_source(source):
    committed = source.with_suffix(".ipynb").read_text(encoding="utf-8")
    assert committed == sync_notebooks.render(source), (
        f"{source.with_suffix('.ipynb').name} is out of date with {source.name}: "
        "run `python tools/sync_notebooks.py` and commit both files."
    )


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_has_no_outputs(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    dirty = [i for i, c in enumerate(cells)
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{notebook.name}: cells {dirty} hold outputs; commit notebooks without outputs."


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """A Jupyter kernel on this very Python, in quick mode, writing data to a temporary folder."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "cnn-course-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "cnn_course test", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("CNN_COURSE_QUICK", "1")
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if ONE_THREAD_PER_WORKER:  # the thread limit of the suite's workers, not the student's setting
        for name in ("CNN_COURSE_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
            monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.trains
@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_runs_in_quick_mode(notebook, kernel_env):
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, kernel_name="cnn-course-test", timeout=CELL_TIMEOUT_SECONDS,
                            resources={"metadata": {"path": str(kernel_env)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
    assert_progress_and_plain_text(nb)


def _output_texts(cell):
    """The text a student reads in a cell's outputs: streams, and the text/plain of displays and results."""
    for output in cell.outputs:
        if output.get("output_type") == "stream":
            yield output.get("text", "")
        elif output.get("output_type") in ("display_data", "execute_result"):
            yield output.get("data", {}).get("text/plain", "")


def assert_progress_and_plain_text(nb):
    """Every training cell printed a progress line, and no output holds a backspace, CR or escape code."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    silent = [i for i, c in code if TRAINS.search(c.source)
              and not any(PROGRESS_LINE.search(text) for text in _output_texts(c))]
    assert not silent, f"cells {silent} train but printed no progress line"
    garbled = [(i, CONTROL.search(text).group()) for i, c in code for text in _output_texts(c)
               if CONTROL.search(text)]
    assert not garbled, f"cells hold control characters that garble captured output: {garbled}"
