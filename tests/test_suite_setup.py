"""The test command's own machinery: what keeps the suite fast must keep working after an upgrade."""

import os
import subprocess
import sys
import textwrap


def test_an_xdist_group_runs_on_one_worker(tmp_path):
    # The suite relies on pytest-xdist's `--dist loadgroup` to run each xdist_group's tests on one
    # worker, so that a module fixture that trains a model (test_visualize, test_grading_attacks) is
    # built once. pytest 9.2 broke it silently with pytest-xdist 3.8: every test still passed, and
    # the suite spent the fixture twice.
    (tmp_path / "test_grouped.py").write_text(textwrap.dedent("""
        import os
        import pytest

        pytestmark = pytest.mark.xdist_group("together")

        @pytest.mark.parametrize("i", range(6))
        def test_grouped(i):
            with open(os.environ["WORKERS_SEEN"], "a") as seen:
                seen.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
        """))
    (tmp_path / "test_free.py").write_text("import pytest\n\n@pytest.mark.parametrize('i', range(6))\n"
                                           "def test_free(i):\n    pass\n")
    seen = tmp_path / "workers.txt"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
                           "--dist", "loadgroup", "-o", "addopts=", str(tmp_path)], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "WORKERS_SEEN": str(seen)}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    workers = seen.read_text().split()
    assert len(workers) == 6 and len(set(workers)) == 1, f"the group ran on {sorted(set(workers))}"
