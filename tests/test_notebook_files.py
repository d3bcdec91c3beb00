"""`cnn-course notebooks DIR`: every shipped notebook is written, an edited one is never overwritten."""

import json
import os
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest

from cnn_course import notebook_files
from cnn_course.grading._masters import Master, check_specs, find_masters, write_percent
from cnn_course.notebook_files import COLAB_CELL, RECORD_NAME, shipped_notebooks_dir, write_notebooks

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _snapshot(folder):
    """{name: (bytes, mtime_ns)} of every file in `folder`."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_shipped_notebooks_are_the_repositorys():
    shipped = sorted(p.name for p in shipped_notebooks_dir().glob("*.ipynb"))
    assert shipped == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert len(shipped) >= 7


def test_writes_every_notebook_then_leaves_them_alone(tmp_path):
    report = write_notebooks(tmp_path / "course")
    names = sorted(p.name for p in shipped_notebooks_dir().glob("*.ipynb"))
    assert report == {"written": names, "unchanged": [], "skipped": []}
    for name in names:
        assert (tmp_path / "course" / name).read_bytes() == (shipped_notebooks_dir() / name).read_bytes()
        nbformat.read(tmp_path / "course" / name, as_version=4)  # a valid notebook
    before = _snapshot(tmp_path / "course")
    assert write_notebooks(tmp_path / "course") == {"written": [], "unchanged": names, "skipped": []}
    assert _snapshot(tmp_path / "course") == before  # not even rewritten


def test_an_edited_notebook_is_kept_and_reported(tmp_path):
    folder = tmp_path / "course"
    write_notebooks(folder)
    edited = folder / "02_pooling_and_first_convnet.ipynb"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Setup", "Setup (my notes)"), encoding="utf-8")
    mine = edited.read_bytes()
    (folder / "my_answers.txt").write_text("42")
    report = write_notebooks(folder)
    assert report["skipped"] == ["02_pooling_and_first_convnet.ipynb"]
    assert "02_pooling_and_first_convnet.ipynb" not in report["written"] + report["unchanged"]
    assert edited.read_bytes() == mine
    assert (folder / "my_answers.txt").read_text() == "42"


def test_an_unedited_older_copy_is_updated(tmp_path, monkeypatch):
    old_release = tmp_path / "old_release"
    old_release.mkdir()
    for source in shipped_notebooks_dir().glob("*.ipynb"):
        (old_release / source.name).write_bytes(source.read_bytes() + b"\n")  # a different version
    monkeypatch.setattr(notebook_files, "shipped_notebooks_dir", lambda: old_release)
    folder = tmp_path / "course"
    write_notebooks(folder)
    # The student edits one; then a new release of cnn_course is installed.
    (folder / "00_getting_started.ipynb").write_bytes(b"{}")
    monkeypatch.undo()
    report = write_notebooks(folder)
    assert report["skipped"] == ["00_getting_started.ipynb"]
    assert len(report["written"]) == len(list(old_release.iterdir())) - 1
    assert (folder / "01_images_and_convolution.ipynb").read_bytes() == \
        (shipped_notebooks_dir() / "01_images_and_convolution.ipynb").read_bytes()
    assert (folder / "00_getting_started.ipynb").read_bytes() == b"{}"


def test_a_damaged_record_never_causes_an_overwrite(tmp_path):
    folder = tmp_path / "course"
    write_notebooks(folder)
    (folder / RECORD_NAME).write_text("not json")
    (folder / "03_small_data_and_augmentation.ipynb").write_text("{}")
    assert write_notebooks(folder)["skipped"] == ["03_small_data_and_augmentation.ipynb"]
    assert (folder / "03_small_data_and_augmentation.ipynb").read_text() == "{}"
    assert json.loads((folder / RECORD_NAME).read_text())["written"]  # rewritten, readable again


def test_a_file_where_the_folder_should_be(tmp_path):
    (tmp_path / "course").write_text("keep")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        write_notebooks(tmp_path / "course")
    assert (tmp_path / "course").read_text() == "keep"


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_first_code_cell_is_the_colab_installer(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    first_code = next(c for c in cells if c.cell_type == "code")
    assert first_code.source == COLAB_CELL


def _run_cell(cell, tmp_path, fake_colab):
    """Run the Colab cell in a fresh Python; with `fake_colab` a stand-in `google.colab` module is imported."""
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "colab" / "__init__.py").write_text("")
    prelude = "import google.colab\n" if fake_colab else ""
    env = {**os.environ, "PYTHONPATH": str(fake)}
    return subprocess.run([sys.executable, "-c", prelude + cell + "\nprint('CELL DONE')"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


def test_colab_cell_does_nothing_outside_colab(tmp_path):
    out = _run_cell(COLAB_CELL, tmp_path, fake_colab=False)
    assert out.returncode == 0 and out.stdout.strip() == "CELL DONE", out.stderr


def test_colab_cell_does_nothing_on_colab_when_cnn_course_is_installed(tmp_path):
    # cnn_course is importable in this Python, so the cell must not call pip.
    out = _run_cell(COLAB_CELL, tmp_path, fake_colab=True)
    assert out.returncode == 0 and out.stdout.strip() == "CELL DONE", out.stderr


def test_colab_cell_without_a_source_names_the_fix(tmp_path):
    # A Python that cannot see cnn_course: isolated (-I) and without site-packages (-S).
    cell = COLAB_CELL.replace('"/content/cnn_course-*.whl"', repr(str(tmp_path / "cnn_course-*.whl")))
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "colab" / "__init__.py").write_text("")
    code = f"import sys\nsys.path.insert(0, {str(fake)!r})\nimport google.colab\n" + cell
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode != 0
    assert "cnn_course is not installed" in out.stderr and "cnn_course-*.whl" in out.stderr


def test_the_wheel_carries_every_notebook_and_no_assignment_solution(tmp_path):
    # What `pip install .` (not editable) installs: build the wheel offline and look inside.
    pytest.importorskip("setuptools")
    import shutil
    import zipfile

    tree = tmp_path / "tree"  # a copy, so that the build leaves nothing in the repository
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        tree.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, tree / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
    for folder in ("cnn_course", "notebooks", "assignments"):  # the teacher's repository, masters included
        shutil.copytree(ROOT / folder, tree / folder, ignore=ignore)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "--no-index", "-q", "-w", str(tmp_path), str(tree)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    (wheel,) = tmp_path.glob("cnn_course-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        inside = {pathlib.PurePosixPath(n).name: archive.read(n) for n in archive.namelist()
                  if n.startswith("cnn_course/notebooks/") and n.endswith(".ipynb")}
        assert "cnn_course/weights/shapes_base.weights.h5" in archive.namelist()
        # The public checks of every assignment ship; no solution or hidden check does.
        masters = find_masters(ROOT / "assignments")
        for master in masters:
            assert f"cnn_course/assignment_checks/{master.stem}.py" in archive.namelist()
        # What a student gets of each assignment: its public checks (and the notebooks).
        archive_texts = {n: archive.read(n).decode("utf-8") for n in archive.namelist()
                         if n.startswith(("cnn_course/assignment_checks/", "cnn_course/notebooks/"))}
        student_side = "\n".join(archive_texts.values())
        assert not any(n.startswith("assignments/") or "/assignments/" in n for n in archive.namelist())
        everything = "\n".join(archive.read(n).decode("utf-8", errors="replace") for n in archive.namelist())
        archive.extractall(tmp_path / "installed")
        modules = {n for n in archive.namelist() if n.endswith(".py")}
    assert "# BEGIN SOLUTION" not in student_side and "@hidden(" not in student_side
    # Nothing of a master anywhere in the wheel: no hidden check, no master's check cells.
    assert not re.search(r'^\s*@hidden\(|^# %% tags=\["hidden-checks"\]', everything, flags=re.M)
    for master in masters:
        for spec in check_specs(Master(master).hidden_source):
            assert f"def {spec.name}(" not in everything, (master.stem, spec.name)
    for master in masters:
        own = archive_texts[f"cnn_course/assignment_checks/{master.stem}.py"]
        assert Master(master).leaks([own]) == [], master.name
    shipped = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert inside == shipped
    # Every module of the package ships (a subpackage missing from pyproject.toml's list would not),
    # and the student's command runs from the wheel alone: the public checks of A1 on its blank version.
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "cnn_course").rglob("*.py")
              if "__pycache__" not in p.parts}
    assert source - modules == set()
    a1 = Master(ROOT / "assignments" / "a1_convolution" / "a1_convolution.py")
    (tmp_path / "blank.py").write_text(write_percent(a1.student_cells()), encoding="utf-8")
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import cnn_course.cli as cli; "
              "print('from', cli.__file__); sys.exit(cli.main(['assignment', 'check', sys.argv[2]]))")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "installed"), str(tmp_path / "blank.py")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert f"from {tmp_path / 'installed' / 'cnn_course' / 'cli.py'}" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 1 and "Public checks: 0 of" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]


def test_every_notebook_and_package_file_the_package_and_the_docs_point_to_exists():
    # "Introduced in `notebooks/05_...`" in a docstring, or "open `cnn_course/architectures/`" in a
    # notebook, sends a student to a file: it must be there.
    mentioned = {}
    for path in [*ROOT.glob("cnn_course/**/*.py"), ROOT / "README.md", *ROOT.glob("assignments/**/*.md"),
                 *ROOT.glob("notebooks/*.py")]:
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"notebooks/(\d\d_[a-z0-9_]+)", text):
            mentioned.setdefault(f"notebooks/{name}.py", path.relative_to(ROOT).as_posix())
        for name in re.findall(r"`(cnn_course/[A-Za-z0-9_/]+(?:\.py)?)`", text):  # a file or folder of the package
            mentioned.setdefault(name, path.relative_to(ROOT).as_posix())
    assert len(mentioned) >= 4
    wheel_only = {"cnn_course/notebooks/"}  # where a wheel (not this checkout) carries the notebooks
    missing = {name: where for name, where in mentioned.items()
               if not (ROOT / name).exists() and name not in wheel_only}
    assert not missing, f"files named but not shipped (name: first file naming it): {missing}"
