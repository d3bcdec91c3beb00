"""Do an assignment's checks hold for every course secret? Run the reference once, check it under many secrets.

Usage:
    python tools/study_hidden_draws.py a3_small_data --secrets 20          # default mode
    python tools/study_hidden_draws.py a3_small_data --secrets 20 --quick  # quick mode (CI)

Hidden inputs are drawn from the teacher's course secret (`checks.hidden_seed`), so a
check's threshold must hold for the reference whatever the secret: a hidden test set of
another draw scores a little differently. This runs the master's reference solution once,
in this process (as its notebook would, seeded), then runs every check of every question
on its objects under `--secrets` random secrets, and prints, per check, how many secrets
it passed under. Any check below all of them needs a wider margin. Nothing is asserted:
it is a study for whoever sets the thresholds (see assignments/README.md).
"""

import argparse
import os
import pathlib
import secrets
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the assignment, e.g. a3_small_data")
    parser.add_argument("--secrets", type=int, default=20, help="how many random secrets (default: 20)")
    parser.add_argument("--quick", action="store_true", help="quick mode (what CI grades in)")
    parser.add_argument("--seed", type=int, default=0, help="the reference's training seed (default: 0)")
    args = parser.parse_args(argv)
    os.environ["CNN_COURSE_QUICK"] = "1" if args.quick else "0"
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, str(ROOT))
    from cnn_course import checks
    from cnn_course.grading import Master, replace_check_calls
    from cnn_course.grading._judge import load_checks
    from cnn_course.grading._runner import seed_everything

    master = Master(ROOT / "assignments" / args.name / f"{args.name}.py")
    namespace = {"__name__": "__main__"}
    seed_everything(args.seed)
    start = time.perf_counter()
    for cell in master.reference_cells():
        if cell.kind == "code":
            code = replace_check_calls(cell.source, "pass  # check: studied below")
            exec(compile(code.replace("set_seed(0)", f"set_seed({args.seed})"), "<reference>", "exec"), namespace)
    print(f"reference ran in {time.perf_counter() - start:.0f} s ({'quick' if args.quick else 'default'} mode, "
          f"seed {args.seed})")
    passed = {}
    for _ in range(args.secrets):
        with checks.grading_context(secrets.token_bytes(16), master.name):
            # Compiled afresh for each secret: the checks' caches of hidden data start empty.
            for function in (f for functions in load_checks(master).values() for f in functions):
                result = checks.run_check(function, namespace)
                key = f"{result.question}.{result.name}"
                passed.setdefault(key, []).append(result.passed)
                if not result.passed:
                    print(f"  fails under one secret: {key}: {result.message}")
    print(f"\n{'check':<60} passed under")
    for key, outcomes in passed.items():
        print(f"{key:<60} {sum(outcomes)} of {len(outcomes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
