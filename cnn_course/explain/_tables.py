"""The explanation objects: one row per layer (shape and parameters, each with how), and the table they make."""

import dataclasses

from cnn_course._validation import arg_error
from cnn_course.tables import html_table, text_table


# ---------------------------------------------------------------------------
# The explanation objects
# ---------------------------------------------------------------------------

COLUMNS = ("Layer (type)", "Output shape", "Shape: how", "Params", "Params: how", "Trainable")


@dataclasses.dataclass(frozen=True)
class LayerRow:
    """One layer of a `ModelExplanation`.

    Attributes:
        name: the layer's name.
        type: its class name (for a nested model, "Sequential" or "Functional").
        output_shape: the output shape with `None` for the batch, e.g.
            `(None, 148, 148, 32)`; a list of shapes for several outputs;
            None when unknown.
        how: how the output shape follows from the input shape, e.g.
            `"150 - 3 + 1 = 148; 32 filters"`.
        params: number of parameters (weights and biases).
        arithmetic: how the count comes about, e.g. `"(3*3*3 + 1) * 32 = 896"`.
        trainable: parameters updated by training.
        non_trainable: parameters not updated by training (frozen layers,
            batch-normalization statistics).
        depth: 0 for a layer of the model, 1 for a layer of a nested model, ...
    """

    name: str
    type: str
    output_shape: object
    how: str
    params: int
    arithmetic: str
    trainable: int
    non_trainable: int
    depth: int = 0

    @property
    def status(self):
        """"yes" (all trainable), "frozen" (none), "partly", or "" for no parameters."""
        if not self.params:
            return ""
        if not self.non_trainable:
            return "yes"
        return "frozen" if not self.trainable else "partly"


@dataclasses.dataclass(frozen=True)
class ModelExplanation:
    """Layer-by-layer shapes and parameter counts, with the arithmetic behind them.

    Returned by `explain_model`. Print it for an aligned text table, display
    it in Jupyter for an HTML table, or use `rows` / `to_rows()` in code.

    Attributes:
        name: the model's name.
        rows: a tuple of `LayerRow`, one per layer.
        trainable: total trainable parameters.
        non_trainable: total non-trainable (frozen) parameters.
    """

    name: str
    rows: tuple
    trainable: int
    non_trainable: int

    @property
    def total(self):
        """All parameters: `trainable + non_trainable` (equals `model.count_params()`)."""
        return self.trainable + self.non_trainable

    def to_rows(self):
        """The rows as a list of dicts (e.g. for `pandas.DataFrame(...)`)."""
        return [dataclasses.asdict(row) for row in self.rows]

    def row(self, name):
        """The `LayerRow` of the layer called `name`.

        Raises:
            ValueError: if no layer has that name (the message lists the names).
        """
        for r in self.rows:
            if r.name == name:
                return r
        names = ", ".join(r.name for r in self.rows)
        raise arg_error("name", name, f"the name of a layer of {self.name!r}", f"Its layers are: {names}")

    def totals_lines(self):
        """The three totals lines, as in `model.summary()`."""
        return [
            f"Total params: {self.total:,}",
            f"Trainable params: {self.trainable:,}",
            f"Non-trainable params: {self.non_trainable:,}",
        ]

    def _cells(self, indent):
        for r in self.rows:
            yield (
                indent * r.depth + f"{r.name} ({r.type})",
                format_shape(r.output_shape),
                r.how,
                f"{r.params:,}",
                r.arithmetic,
                r.status,
            )

    def __str__(self):
        table = text_table(COLUMNS, self._cells("  "), align="lllrll", rule=True)
        width = max(len(line) for line in table.splitlines())
        return "\n".join([f'Model: "{self.name}"', table, "-" * width, *self.totals_lines()])

    def _repr_html_(self):
        cells = self._cells("\u00a0\u00a0\u00a0\u00a0")
        return html_table(COLUMNS, cells, align="lllrll", code=(1, 2, 4), footer=self.totals_lines(),
                          title=f"Model: {self.name}")


def format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
