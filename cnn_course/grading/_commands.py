"""`cnn-course assignment ...`: list, build, check, samples and grade (the command line of the assignments)."""

import json
import pathlib

from cnn_course._files import write_text_atomically


def _log(message):
    print(message, flush=True)


def add_assignment_commands(sub, parser_class, positive_int, positive_number, seed):
    """Add the `assignment` command and its actions to the `cnn-course` subcommands `sub`."""
    from cnn_course import grading

    parser = sub.add_parser("assignment", help="graded assignments: list, build the student versions, "
                                                "check a notebook, grade a folder of submissions",
                            description="Graded assignments. Teachers: build, then grade. Students: check.")
    commands = parser.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=parser_class,
                                     help="one of:")
    commands.add_parser("list", help="the assignments, their questions, points and time limits",
                        description="List the assignments whose checks ship with this installation.")
    build = commands.add_parser("build", help="write the student versions (.ipynb and .py)",
                                description="Write the student version of an assignment (or of all): no "
                                            "solutions, no hidden checks, no outputs.")
    build.add_argument("name", nargs="?", default=None, metavar="NAME",
                       help="the assignment, e.g. a1_convolution, its master .py file, or all (the default)")
    build.add_argument("directory", nargs="?", default="student_assignments", metavar="DIR",
                       help="where to write them, made if missing (default: %(default)s)")
    check = commands.add_parser("check", help="run the public checks on your notebook or script",
                                description="Run your notebook (or .py script) top to bottom and its assignment's "
                                            "public checks, as check() does in the notebook. Exit status 1 when a "
                                            "check fails or a cell raises.")
    check.add_argument("file", metavar="FILE", help="your .ipynb notebook or .py script")
    check.add_argument("--assignment", default=None, metavar="NAME",
                       help="the assignment (default: read from the notebook)")
    samples = commands.add_parser("samples", help="write submissions with known grades, to try the checks",
                                  description="Write sample submissions of an assignment (the reference, the blank "
                                              "version, the wrong and correct variants of its variants.py, a loop, "
                                              "a crash, edited check cells) and the grade each should get.")
    samples.add_argument("name", metavar="NAME", help="the assignment, or its master .py file")
    samples.add_argument("directory", metavar="DIR", help="a new or empty folder to write them to")
    grade = commands.add_parser("grade", help="grade a folder of submissions: grades.csv and feedback",
                                description="Grade every submission (.ipynb or .py, one per student): each runs "
                                            "in its own sandboxed process, the checks run in the grader. Writes "
                                            "grades.csv, results.json and one feedback file per student. Reads a "
                                            "plain folder, or a Canvas or Moodle export as it is downloaded (the "
                                            "folder or the .zip), detected by its names (see --layout).")
    grade.add_argument("name", metavar="NAME", help="the assignment, e.g. a1_convolution, or its master .py")
    grade.add_argument("submissions", metavar="SUBMISSIONS",
                       help="the folder of submissions: one .ipynb or .py per student, or one subfolder per "
                            "student holding one; or Canvas's \"Download submissions\" or Moodle's \"Download all "
                            "submissions\" (the folder or the .zip itself); only read, never changed")
    grade.add_argument("--layout", choices=("auto", "plain", "canvas", "moodle"), default="auto",
                       help="how SUBMISSIONS is laid out. auto: moodle when every entry is named "
                            "<Full name>_<id>_assignsubmission_..., canvas when every entry is a file named "
                            "<name>[_LATE]_<user id>_<file id>_<file name>, else plain (default: %(default)s). In "
                            "canvas, a student's newest file (highest file id) is graded and LATE is kept")
    grade.add_argument("--roster", default=None, metavar="CSV",
                       help="a UTF-8 CSV with columns platform_id,student_id[,name]: the Canvas user id or Moodle "
                            "id (or a plain folder's name) -> the id the grades use; a student on it who handed in "
                            "nothing gets a row with status missing and 0 points")
    grade.add_argument("--output", default=None, metavar="DIR",
                       help="folder for grades.csv, feedback/ and logs/ (default: grades_NAME)")
    grade.add_argument("--merge", action="store_true",
                       help="add these grades to those already in the output folder (a student graded again "
                            "gets the new grade, and the console says which grades changed)")
    grade.add_argument("--time-limit", type=positive_number, default=None, metavar="SECONDS",
                       help="wall-clock limit per submission (default: the assignment's, see `assignment list`)")
    grade.add_argument("--memory-limit", type=positive_number, default=grading.MEMORY_LIMIT_GB, metavar="GB",
                       help="memory limit per submission, all its processes together (default: %(default)s)")
    grade.add_argument("--seed", type=seed, default=0, help="seed of every submission (default: %(default)s)")
    grade.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                       help="grade N submissions at once (default: %(default)s; up to half the cores)")
    grade.add_argument("--sandbox", choices=grading.SANDBOX_MODES, default="auto",
                       help="auto: isolate each submission where the system allows it, else grade with a note; "
                            "require: refuse to grade without it; off: no sandbox, to try a grading run on "
                            "trusted files only (default: %(default)s)")
    grade.add_argument("--secret-file", default=None, metavar="FILE",
                       help="the course secret the hidden inputs are drawn from (default: $CNN_COURSE_SECRET, "
                            "else ~/.config/cnn_course/course_secret, made on first use)")
    grade.add_argument("--quick", action="store_true",
                       help="quick mode: small data and few epochs, for a dry run in seconds (not for grades)")
    grade.add_argument("--expect", default=None, metavar="FILE",
                       help="the expected.json of a samples folder (`assignment samples`): after grading, say which "
                            "samples did not get exactly their expected points, check by check (exit status 1)")
    grade.add_argument("--spawn", action="store_true",
                       help="start a new Python interpreter for each submission instead of forking (Linux)")


def run_assignment_command(args, folder_for_output):
    """Carry out `cnn-course assignment ACTION`; returns the exit status."""
    from cnn_course import assignment, grading

    from cnn_course.grading import _masters as assignment_source
    from cnn_course.grading import _samples as sample_submissions
    if args.action == "list":
        for name in assignment.available():
            module = assignment.public_checks(name)
            questions = module.QUESTIONS
            total = sum(q["public"] + q["hidden"] for q in questions.values())
            parts = ", ".join(f"{q} ({v['public'] + v['hidden']:g})" for q, v in questions.items())
            limit = getattr(module, "TIME_LIMIT_SECONDS", grading.TIME_LIMIT)
            _log(f"{name}: {total:g} points: {parts}; time limit {limit:g} s per submission")
        return 0
    if args.action == "build":
        names = [args.name] if args.name not in (None, "all") else assignment_source.master_names()
        if not names:
            raise ValueError("No master sources found. Fix: run from the course repository, or set "
                             f"{assignment_source.ASSIGNMENTS_ENV} to the folder that holds the assignments")
        for name in names:
            master = assignment_source.Master(assignment_source.find_master(name))
            for path in assignment_source.build_student_version(master, args.directory):
                _log(f"wrote {path}")
        return 0
    if args.action == "check":
        return check_file(args.file, args.assignment)
    if args.action == "samples":
        directory = pathlib.Path(args.directory)
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise ValueError(f"{directory} is not a new or empty folder. Fix: name a new folder")
        master = assignment_source.Master(assignment_source.find_master(args.name))
        expected = sample_submissions.write_samples(master, directory)
        write_text_atomically(directory / "expected.json", json.dumps(expected, indent=1) + "\n")
        for student, points in expected.items():
            _log(f"{student}: {sum(points.values()):g} of {master.total_points:g} points")
        _log(f"Wrote {len(expected)} submissions and expected.json (points per check) in {directory}. "
             f"Grade them: cnn-course assignment grade {master.name} {directory} --output grades_samples "
             f"--expect {directory / 'expected.json'}")
        return 0
    master = assignment_source.Master(assignment_source.find_master(args.name))
    output = pathlib.Path(args.output or f"grades_{master.name}")
    problem = folder_for_output("--output", output)
    if problem:
        raise ValueError(problem)
    limit = args.time_limit or master.time_limit or grading.TIME_LIMIT
    _log(f"Grading {master.name} ({master.total_points:g} points) in {args.submissions}: {limit:g} s and "
         f"{args.memory_limit:g} GB per submission, seed {args.seed}" + (", quick mode" if args.quick else "")
         + (f", {args.jobs} at once" if args.jobs > 1 else ""))
    expected = sample_submissions.read_expected(args.expect) if args.expect else None  # a bad file fails first
    grading.grade_folder(master, args.submissions, output, limit, args.memory_limit, args.seed, args.quick,
                         fork=False if args.spawn else None, log=_log, jobs=args.jobs, sandbox=args.sandbox,
                         secret_file=args.secret_file, merge=args.merge, layout=args.layout, roster=args.roster)
    if expected is None:
        return 0
    students = json.loads((output / "results.json").read_text(encoding="utf-8"))["students"]
    disagreements = sample_submissions.compare_with_expected(expected, students)
    _log(f"{args.expect}: {len(expected) - len(disagreements)} of {len(expected)} samples got exactly their "
         "expected points, check by check")
    for student, why in disagreements:
        _log(f"  DIFFERS  {student}: {why}")
    return 1 if disagreements else 0


def check_file(path, name=None):
    """`cnn-course assignment check FILE`: run a student's file and its public checks; 1 if any fails."""
    from cnn_course import assignment
    from cnn_course.grading import _check_file as submission
    from cnn_course.checks import format_results, quoted
    from cnn_course.settings import tensorflow_logs_hidden

    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is not a file. Fix: name your .ipynb notebook or .py script")
    name = name or _assignment_named_in(path)
    module = assignment.public_checks(name)
    _log(f"Running {path} (assignment {name}), then its public checks...")
    with tensorflow_logs_hidden():  # TensorFlow's C++ log lines look like faults, and are not
        results, _, errors = submission.run(path, module)
    _log("")
    for cell, error in errors:
        _log(f"{cell.label} raised {error['type']}: {quoted(error['message'])}")
    _log(format_results(results, assignment.hidden_parts(module)))
    earned, points = sum(r.earned for r in results), sum(r.points for r in results)
    _log(f"Public checks: {earned:g} of {points:g} points")
    return 0 if earned == points and not errors else 1


def _assignment_named_in(path):
    """The assignment a student file belongs to, read from its `assignment.checker("...")` line."""
    import re

    from cnn_course.grading._check_file import read_submission

    found = re.search(r"""checker\(\s*["'](\w+)["']""", "\n".join(read_submission(path)))
    if not found:
        raise ValueError(f"{path} does not say which assignment it is (no `assignment.checker(...)` line). "
                         "Fix: add --assignment NAME, e.g. --assignment a1_convolution")
    return found.group(1)

