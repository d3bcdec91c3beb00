"""Notebooks: each .ipynb matches its # %% source, holds no outputs, and runs top to bottom in quick mode."""

import json
import pathlib
import sys
import time

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.py"))
#: Wall-clock limit for one notebook in quick mode (CI).
QUICK_LIMIT_SECONDS = 180

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
    return tmp_path


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_runs_in_quick_mode(notebook, kernel_env):
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, kernel_name="cnn-course-test", timeout=QUICK_LIMIT_SECONDS,
                            resources={"metadata": {"path": str(kernel_env)}})
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    assert elapsed < QUICK_LIMIT_SECONDS, f"{notebook.name} took {elapsed:.0f} s in quick mode"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.get("output_type") == "error"]
    assert not errors
