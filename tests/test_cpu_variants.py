"""The tests that train pass with other numerics too: what they assert must hold on every CPU.

A student's laptop or a CI machine rounds differently from the machine a test was
written on, and training grows that difference into another network. The nearest
thing to another CPU on this one is TensorFlow's own kernels instead of oneDNN's
(TF_ENABLE_ONEDNN_OPTS=0): they round differently. This test runs the `trains`-marked
tests that way, in a fresh process (TensorFlow reads the flag once, at start-up).
`tools/check_cpu_variants.py` runs them under every setting, one thread included.
"""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import check_cpu_variants  # noqa: E402

from tests.conftest import ONE_THREAD_PER_WORKER  # noqa: E402


@pytest.mark.skipif(bool(os.environ.get(check_cpu_variants.VARIANT_ENV)),
                    reason="already inside a run of tools/check_cpu_variants.py")
def test_tests_that_train_pass_with_onednn_off():
    # Without the notebooks and the shipped base's retraining (the notebooks' own tests run them
    # here under the default setting; the script runs both under every setting): about
    # 2 minutes on 2 cores.
    # In the suite's worker, with its one-thread limit (tests/conftest.py): oneDNN off and one thread
    # together, the other worker running beside it on the other core.
    extra = {"CNN_COURSE_THREADS": "1"} if ONE_THREAD_PER_WORKER else None
    code, summary, output = check_cpu_variants.run_setting("onednn-off", quick=True, extra_env=extra)
    print(f"TF_ENABLE_ONEDNN_OPTS=0: {summary}")
    assert code == 0, f"the tests that train failed with TF_ENABLE_ONEDNN_OPTS=0:\n{output[-6000:]}"
    assert " passed" in summary and "failed" not in summary and "error" not in summary


def test_the_quick_rerun_leaves_out_the_slow_tests():
    # The rerun's marker expression overrides the suite's `-m 'not slow'`: without its own "not slow", it
    # once trained notebook 09's segmenter (over two minutes) inside the test command.
    command = check_cpu_variants.pytest_command(quick=True, pytest_args=["--collect-only"])
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = [line for line in out.stdout.splitlines() if "::" in line]
    assert collected and "test_tests_that_train_pass_with_onednn_off" not in out.stdout
    for slow in ("test_notebook_09_segmenter_reaches_the_mean_iou_band_it_states",
                 "test_pretraining_reproduces_the_shipped_weights"):
        assert not any(slow in line for line in collected), slow
    # ... and they still exist, marked `slow` and `trains`, so the check above is not vacuous.
    for path, slow in (("test_segmentation.py", "test_notebook_09_segmenter_reaches_the_mean_iou_band_it_states"),
                       ("test_shapes_base.py", "test_pretraining_reproduces_the_shipped_weights")):
        source = (ROOT / "tests" / path).read_text()
        assert f"@pytest.mark.trains\n@pytest.mark.slow\ndef {slow}(" in source, slow
