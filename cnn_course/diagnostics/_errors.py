"""The diagnosis table of practical methodology: which error to work on first, from three error rates."""

from typing import NamedTuple

from cnn_course._validation import check_fraction, check_number
from cnn_course.tables import text_table

#: The branches of the table, in the order to work on them, with what to try for each.
BRANCHES = (
    ("avoidable bias", "training error well above the target: the model underfits",
     "a bigger model (more filters or layers), longer training, a better learning rate or optimizer, "
     "less regularisation"),
    ("variance", "validation error well above training error: the model overfits",
     "more data or augmentation, regularisation (weight decay, dropout), early stopping, a smaller model"),
    ("validation-test mismatch", "test error well above validation error: the validation set was "
                                 "overfitted by tuning, or it differs from the test data",
     "a fresh or larger validation set drawn like the test set; fewer rounds of tuning on one split"),
)


class ErrorDiagnosis(NamedTuple):
    """The result of `diagnose_errors`: the gaps, and the first one to work on.

    Attributes:
        errors: the error rates given, by name ("target", "training", ...).
        gaps: `{branch: size}` for "avoidable bias", "variance" and (with a
            test error) "validation-test mismatch".
        work_on: the branch to work on first, or None when every gap is within
            `tolerance`.
        why: what that branch means; `advice`: what to try.
    """

    errors: dict
    gaps: dict
    work_on: str | None
    why: str
    advice: str

    def __str__(self):
        rows = [[name, f"{value:.1%}"] for name, value in self.errors.items()]
        rows += [[f"gap: {name}", f"{value:+.1%}"] for name, value in self.gaps.items()]
        verdict = (f"Work on the {self.work_on} first ({self.why}). Try: {self.advice}."
                   if self.work_on else f"{self.why}.")
        return f"{text_table(['error', 'rate'], rows, align='lr')}\n{verdict}"


def diagnose_errors(train_error, validation_error, test_error=None, target_error=0.0, tolerance=0.02):
    """Read training, validation and test error the way the lecture's diagnosis table does.

    Three gaps, each pointing to its own cure: **avoidable bias** (training
    error minus the target, an estimate of the best achievable error such as
    human-level error, itself a stand-in for the Bayes error), **variance**
    (validation minus training error) and, once the test set is used,
    **validation-test mismatch** (test minus validation error). They are
    worked on in that order, as the tuning order says: first get the training
    error down, then regularise; a gap within `tolerance` counts as closed.

    Args:
        train_error: error rate on the training set, in [0, 1] (1 - accuracy).
        validation_error: error rate on the validation set.
        test_error: optional error rate on the test set.
        target_error: the error a good solution can reach: human-level error
            for a task people do well, 0 when people make no mistakes.
        tolerance: the largest gap that counts as closed.

    Returns:
        An `ErrorDiagnosis`; print it for the table and the advice.

    Raises:
        ValueError: for an error rate outside [0, 1] or a negative tolerance.

    Example:

    >>> from cnn_course.diagnostics import diagnose_errors
    >>> diagnose_errors(0.01, 0.12, target_error=0.005).work_on
    'variance'
    >>> diagnose_errors(0.15, 0.17, target_error=0.02).work_on  # training error first
    'avoidable bias'
    """
    errors = {"target (best achievable)": check_fraction("target_error", target_error, inclusive_high=True),
              "training": check_fraction("train_error", train_error, inclusive_high=True),
              "validation": check_fraction("validation_error", validation_error, inclusive_high=True)}
    if test_error is not None:
        errors["test"] = check_fraction("test_error", test_error, inclusive_high=True)
    tolerance = check_number("tolerance", tolerance, low=0)
    values = list(errors.values())
    gaps = {name: later - earlier for (name, _, _), earlier, later in zip(BRANCHES, values, values[1:])}
    for name, why, advice in BRANCHES:
        if name in gaps and gaps[name] > tolerance:
            return ErrorDiagnosis(errors, gaps, name, why, advice)
    return ErrorDiagnosis(errors, gaps, None, "Every gap is within the tolerance: the model is as good as "
                          "the target says it can be", "")
