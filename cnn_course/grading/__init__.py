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

from cnn_course.grading._grade import MEMORY_LIMIT_GB, SANDBOX_MODES, TIME_LIMIT, grade_folder, how_to_enable
from cnn_course.grading._outputs import read_grades, safe_cell
from cnn_course.grading._secret import default_secret_file, load_secret
from cnn_course.grading._submissions import Entry, find_submissions, printable, read_submission_cells

__all__ = ["MEMORY_LIMIT_GB", "SANDBOX_MODES", "TIME_LIMIT", "Entry", "default_secret_file", "find_submissions",
           "grade_folder", "how_to_enable", "load_secret", "printable", "read_grades", "read_submission_cells",
           "safe_cell"]
