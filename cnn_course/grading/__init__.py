"""The teacher's side: grade a folder of submissions, where no submission can reach its grade or another's.

Each submission runs in its own process, which holds nothing but the
student's code: no check, no master, no hidden input. A judge, in the
grader's own process, runs every check (public and hidden) at each
`check("q..")` line the submission reaches, on the student's objects sent to
it as plain data (a Keras model as its configuration and weights, rebuilt in
the judge with Keras's safe mode). On Linux the submission's process runs in
a sandbox: its own user, mount, PID and network namespaces, where it sees
only Python, cnn_course and an empty working folder, and every process it
starts ends with it. It has time, memory (all its processes together), CPU,
file-size and process limits, and its output is kept head and tail. The
grader writes `grades.csv` (one row per student: points per question, total,
status), `feedback/<student>.txt`, `logs/<student>.log` and `results.json`.

The modules inside, in the order a submission meets them: `_submissions`
(the folder and the cells), `_processes` and `_zygote` (starting its process),
`_sandbox` (what it may see and use), `_runner` (what runs in it), `_wire`,
`_values` and `_keras_wire` (what crosses between it and the judge), `_judge`
and `_standins` (the checks), `_batch` and `_grade` (the folder), `_feedback`
and `_outputs` (what is written), `_secret` (the course secret).
"""

from cnn_course.grading._check_file import read_submission
from cnn_course.grading._commands import add_assignment_commands, check_file, run_assignment_command
from cnn_course.grading._grade import MEMORY_LIMIT_GB, SANDBOX_MODES, TIME_LIMIT, grade_folder, how_to_enable
from cnn_course.grading._masters import (
    ASSIGNMENTS_ENV,
    Cell,
    CheckSpec,
    Master,
    build_student_version,
    check_cells_of,
    find_master,
    find_masters,
    master_names,
    masters_dirs,
    read_cells,
    replace_check_calls,
    solution_lines,
    strip_markdown_solutions,
    strip_solutions,
    write_ipynb,
    write_percent,
)
from cnn_course.grading._cells import safe_cell
from cnn_course.grading._outputs import read_grades
from cnn_course.grading._samples import apply_variant, load_variants, write_samples
from cnn_course.grading._secret import default_secret_file, load_secret
from cnn_course.grading._submissions import Entry, find_submissions, printable, read_submission_cells

__all__ = [
    "ASSIGNMENTS_ENV",
    "add_assignment_commands",
    "apply_variant",
    "build_student_version",
    "Cell",
    "check_cells_of",
    "check_file",
    "CheckSpec",
    "default_secret_file",
    "Entry",
    "find_master",
    "find_masters",
    "find_submissions",
    "grade_folder",
    "how_to_enable",
    "load_secret",
    "load_variants",
    "Master",
    "master_names",
    "masters_dirs",
    "MEMORY_LIMIT_GB",
    "printable",
    "read_cells",
    "read_grades",
    "read_submission",
    "read_submission_cells",
    "replace_check_calls",
    "run_assignment_command",
    "safe_cell",
    "SANDBOX_MODES",
    "solution_lines",
    "strip_markdown_solutions",
    "strip_solutions",
    "TIME_LIMIT",
    "write_ipynb",
    "write_percent",
    "write_samples",
]
