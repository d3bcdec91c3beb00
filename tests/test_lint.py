"""The linter, as part of the test command that CI runs: ruff with the rules in pyproject.toml."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    if "No module named ruff" in done.stderr:
        raise AssertionError('ruff is not installed: install the test extra, pip install -e ".[test]"')
    assert done.returncode == 0, f"ruff found problems (fix them, or run `ruff check --fix .`):\n{done.stdout}"


def test_ruff_would_catch_a_bare_except(tmp_path):
    # The check above can fail: the same configuration flags a bare `except:` and an unused import.
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ntry:\n    pass\nexcept:\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), "--output-format", "concise", str(bad)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "E722" in done.stdout and "F401" in done.stdout


def test_ruff_would_catch_a_function_with_too_many_paths(tmp_path):
    # The complexity rule (C901, at most 15 paths) is on: 16 `if`s in one function are one too many.
    tangled = tmp_path / "tangled.py"
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(16))
    tangled.write_text(f"def tangled(x):\n{branches}    return -1\n")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                           str(ROOT / "pyproject.toml"), "--output-format", "concise", str(tangled)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "C901" in done.stdout and "(17 > 15)" in done.stdout, done.stdout
