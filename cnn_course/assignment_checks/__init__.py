"""Public checks of the graded assignments, one module per assignment.

Generated from the master sources in `assignments/` by `python tools/sync_assignments.py`;
`cnn_course.assignment.checker` runs them. Hidden checks are never here.
"""
