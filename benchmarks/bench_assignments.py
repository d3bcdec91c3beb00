"""Time of each graded assignment on this machine: the reference top to bottom, and grading one submission.

Usage:
    python benchmarks/bench_assignments.py                 # every assignment, default mode
    python benchmarks/bench_assignments.py a2_own_convnet  # one

For each assignment it prints, in default mode (what students and teachers run):
1. the reference solution run as a plain script (`python assignments/<name>/<name>.py`):
   wall-clock seconds and peak memory (target: at most 3 minutes on a 2-core laptop);
2. `cnn-course assignment grade` on a folder holding only the reference: the seconds the
   grader records for that submission (its process and its judge, from start to the last
   check; target: at most 3 minutes) and the command's total (with the fork server's start).
Next to them, this machine's CPU, its float32 matmul GFLOP/s (NumPy) and the rate at which it
trains the course's network (`machine.course_network_rate`), so that figures from faster and
slower machines compare. Timings are never asserted in tests.
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

from machine import course_network_rate, cpu_name, matmul_gflops  # benchmarks/machine.py

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run(command, cwd):
    """Run `command`; return (seconds, peak resident memory of the child in MB, completed process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg", "CNN_COURSE_QUICK": "0"})
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024, done


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments to time (default: all)")
    parser.add_argument("--grade-options", nargs=argparse.REMAINDER, default=[],
                        help="options passed on to `cnn-course assignment grade` (e.g. --sandbox off)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from cnn_course.grading import Master, find_masters, write_percent

    masters = find_masters(ROOT / "assignments")
    if args.names:
        masters = [p for p in masters if p.stem in args.names]
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical cores")
    print(f"float32 matmul: {matmul_gflops():.0f} GFLOP/s (NumPy, 2048x2048); the course's network "
          f"(models.shapes_convnet, 64x64, batch 32) trains at {course_network_rate():.0f} images/s")
    print(f"{'assignment':<36} {'reference s':>12} {'peak MB':>8} {'graded s':>9} {'grade cmd s':>12}  points")
    for path in masters:
        master = Master(path)
        with tempfile.TemporaryDirectory() as scratch:
            scratch = pathlib.Path(scratch)
            seconds, peak, done = _run([sys.executable, str(path)], scratch)
            if done.returncode != 0:
                print(f"{path.stem}: the reference failed:\n{done.stderr[-2000:]}")
                continue
            subs = scratch / "subs"
            subs.mkdir()
            (subs / "reference.py").write_text(write_percent(master.reference_cells()), encoding="utf-8")
            total, _, graded = _run([sys.executable, "-m", "cnn_course", "assignment", "grade", str(path),
                                     str(subs), "--output", str(scratch / "out"), "--secret-file",
                                     str(scratch / "secret"), *args.grade_options], scratch)
            if graded.returncode != 0:
                print(f"{path.stem}: grading failed:\n{graded.stderr[-2000:]}")
                continue
            student = json.loads((scratch / "out" / "results.json").read_text())["students"]["reference"]
        print(f"{path.stem:<36} {seconds:>12.1f} {peak:>8.0f} {student['seconds']:>9.1f} {total:>12.1f}  "
              f"{student['total']:g} of {master.total_points:g} ({student['status']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
