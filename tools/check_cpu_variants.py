"""Run the tests that train under three numerics settings, as other CPUs would, and print one line per setting.

Usage:
    python tools/check_cpu_variants.py                  # all three settings, every `trains` test
    python tools/check_cpu_variants.py --quick          # without the notebooks and the slow tests
    python tools/check_cpu_variants.py --setting one-thread -- -k visualize   # one setting, pytest args

A trained result depends on the CPU as well as on the code: another CPU (other
vector instructions, other oneDNN kernels), another number of threads or
another TensorFlow version rounds differently, and training grows those
differences into another, equally good network. Bit-identical results hold on
one machine only, so the tests that train (marked `trains`) must assert what
holds everywhere: an accuracy band, a loss that falls, a shape, two runs on the
same machine that agree. This script checks that they do by perturbing the
numerics on this machine, the nearest thing to running them on another:

    default      the settings cnn_course uses (oneDNN on, every core)
    onednn-off   TF_ENABLE_ONEDNN_OPTS=0: TensorFlow's own kernels instead of oneDNN's
    one-thread   CNN_COURSE_THREADS=1 (and TF_NUM_*_THREADS, OMP_NUM_THREADS): one thread

Each setting runs `pytest -m trains` in a fresh process (TensorFlow reads these
variables once, when it starts). The exit status is 0 when every setting passed.
Run it before committing a test that trains; it takes about 5 minutes per
setting on 2 cores (about 2 with --quick).
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: Environment changes of each setting.
SETTINGS = {
    "default": {},
    "onednn-off": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "one-thread": {"CNN_COURSE_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
                   "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"},
}
#: Set in every run's environment, naming its setting; a test that starts this script skips there.
VARIANT_ENV = "CNN_COURSE_CPU_VARIANT"
#: What --quick leaves out besides the `slow` tests (`pytest_command`): the notebooks (minutes), the
#: tests that compare two runs under one setting (same seed, same weights; replicas in step), which hold
#: under any one setting and run under the default one in the suite, and the training tests that assert
#: what no rounding changes (printed progress lines; labels kept aligned through prediction; the quick
#: demo's table, whose accuracies are only checked to be counts of right answers).
QUICK_EXCLUDE = ("not test_notebook_runs_in_quick_mode"
                 " and not test_progress.py and not test_evaluation.py"
                 " and not test_demo_quick_prints_table_and_writes_outputs"
                 " and not test_pretraining_in_miniature_repeats_itself_and_saves_atomically"
                 " and not test_same_seed_gives_bit_identical_weights_in_fresh_processes"
                 " and not test_mirrored_strategy_on_two_logical_cpus_trains_the_one_device_model"
                 " and not test_multi_worker_strategy_two_processes_end_with_identical_weights"
                 " and not test_learning_curve_is_deterministic_with_its_seed")

#: pytest's last line: "40 passed, 1083 deselected in 265.67s (0:04:25)" (with -q), or framed by "=".
_SUMMARY = re.compile(r"^=* ?((?:\d+ (?:passed|failed|errors?|skipped|deselected)|no tests ran)\b"
                      r".* in [\d.]+s\b.*?) ?=*$")


def pytest_command(quick=False, pytest_args=()):
    """The command `run_setting` starts: pytest on the `trains` tests, in one process.

    With `quick`, it leaves out `QUICK_EXCLUDE` and the `slow` tests (minutes
    each: the shipped base's retraining, notebook 09's segmenter); without it,
    those run under every setting.
    """
    command = [sys.executable, "-m", "pytest", "-m", "trains and not slow" if quick else "trains", "-q",
               "-p", "no:cacheprovider", "-n", "0"]  # one process: the suite's other worker runs beside it
    if quick:
        command += ["-k", QUICK_EXCLUDE]
    return command + list(pytest_args)


def run_setting(name, pytest_args=(), quick=False, extra_env=None):
    """Run `pytest -m trains` under setting `name` in a fresh process.

    Args:
        name: a key of `SETTINGS`.
        pytest_args: more arguments for pytest (e.g. `["-k", "visualize"]`).
        quick: leave out `QUICK_EXCLUDE` and the `slow` tests (`pytest_command`).
        extra_env: more environment variables, set after the setting's own
            (the suite's rerun passes its workers' one-thread limit).

    Returns:
        `(returncode, summary, output)`: pytest's exit status, its final
        summary line ("40 passed, 1022 deselected in 95.2s"), and its whole
        output (stdout and stderr).
    """
    if name not in SETTINGS:
        raise ValueError(f"The `name` argument must be one of {', '.join(SETTINGS)}. "
                         f"Received: name={name!r}")
    env = {key: value for key, value in os.environ.items()
           if key not in ("TF_ENABLE_ONEDNN_OPTS", "CNN_COURSE_THREADS", "TF_NUM_INTRAOP_THREADS",
                          "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")}
    env.update(SETTINGS[name])
    env.update(extra_env or {})
    env[VARIANT_ENV] = name
    out = subprocess.run(pytest_command(quick, pytest_args), cwd=ROOT, env=env, capture_output=True, text=True)
    output = out.stdout + out.stderr
    summaries = [m.group(1) for m in map(_SUMMARY.match, output.splitlines()) if m]
    summary = summaries[-1] if summaries else f"no pytest summary (exit status {out.returncode})"
    return out.returncode, summary, output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setting", action="append", choices=list(SETTINGS),
                        help="run only this setting (repeat for several; default: all three)")
    parser.add_argument("--quick", action="store_true",
                        help="leave out the notebooks and the slow tests (the shipped base's retraining, "
                             "notebook 09's segmenter)")
    parser.add_argument("--verbose", action="store_true",
                        help="print pytest's whole output for every setting, not only for failures")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    args = parser.parse_args(argv)

    failed = []
    for name in args.setting or list(SETTINGS):
        changes = " ".join(f"{k}={v}" for k, v in SETTINGS[name].items()) or "(no changes)"
        print(f"{name}: pytest -m trains with {changes} ...", flush=True)
        start = time.perf_counter()
        code, summary, output = run_setting(name, args.pytest_args, quick=args.quick)
        if code != 0 or args.verbose:
            print(output)
        print(f"{name:<11} {'PASSED' if code == 0 else 'FAILED'}  {summary}  "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"Failed under: {', '.join(failed)}. A test that passes only with some numerics asserts "
              "something that another CPU would not reproduce: assert behaviour instead (see README).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
