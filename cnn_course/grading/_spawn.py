"""`python -m cnn_course.grading._spawn PLAN`: a submission's process in a new interpreter (no fork server).

The grader starts this with the judge's channel on file descriptors 0 and 1
and the output on 2; PLAN is the JSON of a `_sandbox.Plan`.
"""

import sys

from cnn_course.grading import _runner
from cnn_course.grading._sandbox import Plan, warden


def main():
    return warden(Plan.from_json(sys.argv[1]), _runner.main)


if __name__ == "__main__":
    sys.exit(main())
