"""The submission's process: run the student's cells, and answer the judge's questions with plain data.

This is all that runs in the student's process while grading. It holds no
check, no master, no expected value and no hidden input of a trained
model: it executes the cells the judge sends, tells the judge when a
question's `check("q..")` line is reached, and then answers the judge's
requests (the value of a name, a call of one of the student's functions, an
attribute of one of the student's objects) with plain data (`_values`) and
descriptions of Keras objects (`_keras_wire`), until the judge says to go on.
Nothing it sends is trusted: the student's code can replace any of this,
and the judge checks every message it gets.

File descriptors at start: 0 from the judge, 1 to the judge, 2 the output
(what the student's code prints, on both `sys.stdout` and `sys.stderr`).
"""

import builtins
import os
import random
import sys
import time
import traceback

import numpy as np

from cnn_course.grading._values import Decoder, Encoder, MalformedValue, NotPlainData
from cnn_course.grading._wire import BlockingChannel, pack

#: Name of the function each `check("q1")` line of the submission is replaced by.
HOOK = "__cnn_course_checkpoint__"
PROTOCOL = 1
_MAX_ITEMS = 100_000


def describe_exception(exc):
    """Type, message (one line, capped) and where in the student's cells an exception was raised."""
    where = None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<cell "):
            where = {"cell": int(frame.filename[6:-1]), "line": frame.lineno,
                     "function": "" if frame.name == "<module>" else frame.name}
            break
    return {"type": type(exc).__name__[:100], "message": " ".join(str(exc).split())[:500], "where": where}


class _JudgeModel:
    """A model of the judge's (a check's test model), lent to a student's function: call it or predict."""

    def __init__(self, runner, ident, input_shape, output_shape):
        self._runner, self._ident = runner, ident
        self.input_shape, self.output_shape = input_shape, output_shape

    def __call__(self, inputs, training=None, **ignored):
        return self._runner.callback(self._ident, "call", inputs, training)

    def predict(self, x, batch_size=None, verbose="auto", **ignored):
        return self._runner.callback(self._ident, "predict", _batches_joined(x), False)

    def __getattr__(self, name):
        raise AttributeError(f"the grader's test model offers only model(x, training=...) and "
                             f"model.predict(x), not .{name}")


def _batches_joined(x):
    """What `Model.predict` reads from `x`: an array as it is, or the inputs of each batch of a
    `tf.data.Dataset`, a generator or another iterable of batches (the `x` of `(x, y)`), joined."""
    if isinstance(x, (np.ndarray, list, tuple, dict)) or hasattr(x, "__array__") or not hasattr(x, "__iter__"):
        return x
    inputs = [np.asarray(batch[0] if isinstance(batch, (tuple, list)) else batch) for batch in x]
    return np.concatenate(inputs) if inputs else np.zeros((0,), dtype="float32")


class Runner:
    """Executes cells in one namespace and serves the judge's requests between them."""

    def __init__(self, channel):
        self.channel = channel
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, HOOK: self.checkpoint}
        self._objects, self._by_id = {}, {}
        self.members, self.described = {}, {}  # Keras layers sent at this checkpoint (see _keras_wire)

    # -- the cells -------------------------------------------------------------------------------
    def run(self, cells, seed):
        seed_everything(seed)
        try:
            from IPython.display import display

            self.namespace["display"] = display
        except ImportError:
            pass
        for index, code in enumerate(cells, start=1):
            start, error = time.perf_counter(), None
            try:
                exec(compile(code, f"<cell {index}>", "exec"), self.namespace)
            except BaseException as exc:  # noqa: BLE001  (the student's cell failed, SystemExit too: go on)
                error = describe_exception(exc)
            _flush()
            self._tell({"type": "cell", "cell": index, "seconds": round(time.perf_counter() - start, 3),
                        "error": error})
        self._tell({"type": "done"})
        self.serve("exit")

    def _tell(self, message):
        """Send `message` to the judge; if the judge is gone, there is nothing left to do: end."""
        try:
            self.channel.send(message)
        except BaseException:  # noqa: BLE001  (ChannelClosed, or the student's code broke the channel)
            os._exit(4)

    def checkpoint(self, question):
        """What each `check("q..")` line became: tell the judge, answer its questions, go on."""
        _flush()
        self._tell({"type": "checkpoint", "question": str(question)[:50]})
        self.serve("resume")

    # -- the judge's requests --------------------------------------------------------------------
    def serve(self, until):
        """Answer the judge's requests until it says `until` ("resume" or "exit").

        Nothing that happens while answering escapes into the student's cells: an
        error that is not the student's ends the process (the judge then records it).
        """
        try:
            self._serve(until)
        except _Resume:
            return
        except BaseException:  # noqa: BLE001  (the channel broke, or the answer could not be made)
            _flush()
            os._exit(4)

    def _serve(self, until):
        while True:
            message, blobs = self.channel.receive()
            kind = message["type"]
            if kind == "exit":
                _flush()
                os._exit(0)
            if kind == until:
                self._forget()
                raise _Resume()
            handler = getattr(self, f"_on_{kind}", None)
            if handler is None:
                self.channel.send({"type": "unknown_request"})
                continue
            try:
                self._answer(handler, message, blobs)
            except MalformedValue as exc:
                self.channel.send({"type": "bad_request", "why": str(exc)})

    def _answer(self, handler, message, blobs):
        try:
            result = handler(message, blobs)
            reply = result.parts if isinstance(result, _Reply) else self._reply(result)
            data = pack(*reply)
        except MalformedValue:
            raise
        except BaseException as exc:  # noqa: BLE001  (the student's code raised: that is an answer too)
            data = pack({"type": "raised", "error": describe_exception(exc)})
        _flush()
        self.channel.send_packed(data)

    def _reply(self, value):
        encoder = Encoder(self._extend)
        try:
            node = encoder.encode(value)
        except NotPlainData as exc:
            return {"type": "result", "value": {"t": "unavailable", "why": f"cannot be sent: {exc}"}}, []
        return {"type": "result", "value": node}, encoder.blobs

    def _forget(self):
        """A new checkpoint (or question) starts: the references of the last one mean nothing now."""
        for table in (self._objects, self._by_id, self.members, self.described):
            table.clear()

    def _on_get(self, message, blobs):
        self._forget()
        names = [n for n in message.get("names", []) if isinstance(n, str)]
        from cnn_course.grading import _keras_wire

        encoder = Encoder(self._extend)
        values, order = {}, _keras_wire.encoding_order(names, self.namespace)
        for name in order:
            if name not in self.namespace:
                values[name] = {"t": "undefined"}
                continue
            try:
                values[name] = encoder.encode(self.namespace[name])
            except Exception as exc:  # noqa: BLE001  (a value that cannot be described: say why)
                values[name] = {"t": "unavailable", "why": f"{type(exc).__name__}: {exc}"[:500]}
        return _Reply({"type": "values", "values": values}, encoder.blobs)

    def _target(self, message):
        ref = message.get("ref")
        if ref not in self._objects:
            raise MalformedValue("a reference to an object this process did not send")
        return self._objects[ref]

    def _arguments(self, message, blobs):
        decoder = Decoder(blobs, self._resolve)
        args = message.get("args", [])
        kwargs = message.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise MalformedValue("call arguments that are not a list and a dict")
        return ([decoder.decode(a) for a in args],
                {str(k): decoder.decode(v) for k, v in kwargs.items()})

    def _on_call(self, message, blobs):
        args, kwargs = self._arguments(message, blobs)
        return self._target(message)(*args, **kwargs)

    def _on_attr(self, message, blobs):
        return getattr(self._target(message), str(message.get("name")))

    def _on_len(self, message, blobs):
        return len(self._target(message))

    def _on_item(self, message, blobs):
        (key,), _ = self._arguments({"args": message.get("args", [])}, blobs)
        return self._target(message)[key]

    def _on_items(self, message, blobs):
        items = []
        for item in self._target(message):
            items.append(item)
            if len(items) > _MAX_ITEMS:
                raise ValueError(f"more than {_MAX_ITEMS:,} items")
        return items

    def _on_names(self, message, blobs):
        from cnn_course.checks import global_names

        return global_names(self._target(message))

    def _on_bool(self, message, blobs):
        return bool(self._target(message))

    def _on_repr(self, message, blobs):
        return repr(self._target(message))[:300]

    # -- references both ways --------------------------------------------------------------------
    def remember(self, value):
        """The reference number of `value` for this checkpoint (the same object, the same number)."""
        ref = self._by_id.get(id(value))
        if ref is None:
            ref = len(self._objects) + 1
            self._objects[ref], self._by_id[id(value)] = value, ref
        return ref

    def _extend(self, encoder, value, depth):
        from cnn_course.grading import _keras_wire

        node = _keras_wire.encode_keras(self, encoder, value, depth)
        if node is not None:
            return node
        node = _keras_wire.encode_record(encoder, value, depth)
        if node is not None:
            return node
        tensor = _keras_wire.as_array(value)
        if tensor is not None:
            return encoder.encode(tensor, depth)
        kind = "function" if callable(value) and not isinstance(value, type) else "object"
        return {"t": kind, "ref": self.remember(value), "type": type(value).__name__[:100],
                "name": str(getattr(value, "__qualname__", getattr(value, "__name__", "")))[:100]}

    def _resolve(self, decoder, node, depth):
        if node["t"] == "student" and node.get("ref") in self._objects:
            return self._objects[node["ref"]]
        if node["t"] == "judge_model" and type(node.get("ref")) is int:
            return _JudgeModel(self, node["ref"], _shape(node.get("input_shape")), _shape(node.get("output_shape")))
        raise MalformedValue(f"an argument of kind {node['t'][:40]!r}")

    def callback(self, ident, method, inputs, training):
        """Run the judge's test model `ident` on `inputs`; returns the outputs as a NumPy array."""
        encoder = Encoder(self._extend)
        node = encoder.encode(inputs)
        self.channel.send({"type": "callback", "ref": ident, "method": method, "args": [node],
                           "training": None if training is None else bool(training)}, encoder.blobs)
        message, blobs = self.channel.receive()
        if message["type"] == "callback_error":
            raise TypeError(str(message.get("why", "the grader's test model refused these inputs"))[:300])
        if message["type"] != "callback_result":
            raise RuntimeError("the grader sent no answer")
        return Decoder(blobs).decode(message.get("value"))


class _Resume(Exception):
    """The judge said to go on."""


class _Reply:
    """A handler's reply that is already a whole message (not a value to send as a result)."""

    def __init__(self, message, blobs):
        self.parts = (message, blobs)


def _shape(value):
    if isinstance(value, list) and all(v is None or type(v) is int for v in value):
        return tuple(value)
    return None


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


def seed_everything(seed):
    """Seed Python, NumPy and (when the submission's code has imported it) TensorFlow."""
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    import numpy as np

    np.random.seed(seed)
    if "tensorflow" in sys.modules:
        from cnn_course.reproducibility import set_seed

        set_seed(seed)


def main():
    """Entry point in the submission's process: fds 0 and 1 talk to the judge, 2 is the output."""
    from_judge, to_judge = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)  # print() and anything written to fd 1 goes to the output, not to the judge
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    channel = BlockingChannel(from_judge, to_judge)
    channel.send({"type": "ready", "protocol": PROTOCOL})
    message, _ = channel.receive()
    cells = message.get("cells") if message.get("type") == "run" else None
    if not isinstance(cells, list) or not all(isinstance(c, str) for c in cells):
        os._exit(3)
    Runner(channel).run(cells, message.get("seed", 0) if type(message.get("seed")) is int else 0)
    os._exit(0)
