"""What a check holds in the judge's process in place of the student's objects.

At each checkpoint the judge asks the submission's process for every name the
question's checks need, in one request, and turns what comes back into:
plain values (numbers, strings, containers, NumPy arrays); the judge's own
copy of each Keras model (rebuilt from its configuration and weights, see
`_keras_wire`), with the identities between them kept (a model inside
another is that model's layer, a history's model is the same object);
cnn_course records (`ImageSet`, `TrainableSummary`) rebuilt from their
fields; and for the student's functions and other objects, stand-ins that
forward calls and attribute reads to the student's process and bring back
plain data. An error in the student's code comes back as `StudentCodeError`.
"""

import hashlib
import json

import numpy as np

from cnn_course.checks import StudentCodeError, Unavailable, one_line
from cnn_course.grading import _keras_wire
from cnn_course.grading._values import Decoder, Encoder, MalformedValue, NotPlainData
from cnn_course.grading._wire import ChannelClosed, ProtocolError

#: How many unexpected messages a session skips (each noted) before it gives up on the channel.
MAX_STRAY_MESSAGES = 100
#: The largest input a student's function may send to a test model of the judge's, in bytes.
MAX_CALLBACK_BYTES = 64 << 20


class RunnerGone(BaseException):
    """The submission's process ended (or broke the protocol) while a check was waiting for it.

    A `BaseException`, like `KeyboardInterrupt`: no check's `except Exception` catches it, so
    grading stops at once instead of failing the remaining checks one by one.
    """


class RemoteFunction:
    """A function of the student's: calling it runs it in the student's process, on plain-data arguments."""

    def __init__(self, session, ref, name):
        self._session, self._ref, self.__name__ = session, ref, name or "function"

    def __call__(self, *args, **kwargs):
        return self._session.request({"type": "call", "ref": self._ref}, args, kwargs)

    def __repr__(self):
        return f"<your function {self.__name__}>"

    def _remote_global_names(self):
        """What `checks.global_names` asks of a function: answered by the student's process."""
        value = self._session.request({"type": "names", "ref": self._ref})
        if value is None:
            return None
        if not isinstance(value, list) or not all(
                isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], str)
                and (p[1] is None or isinstance(p[1], str)) for p in value):
            raise Unavailable("your process's answer about this function's names is malformed")
        return sorted((str(a), b) for a, b in value)


class RemoteObject:
    """Another object of the student's: attribute reads, calls, len(), [] and iteration go to its process."""

    def __init__(self, session, ref, type_name):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_type_name", type_name)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._session.request({"type": "attr", "ref": self._ref, "name": name})

    def __call__(self, *args, **kwargs):
        return self._session.request({"type": "call", "ref": self._ref}, args, kwargs)

    def __len__(self):
        return _index(self._session.request({"type": "len", "ref": self._ref}))

    def __getitem__(self, key):
        return self._session.request({"type": "item", "ref": self._ref}, (key,))

    def __iter__(self):
        return iter(self._session.request({"type": "items", "ref": self._ref}))

    def __bool__(self):
        return self._session.request({"type": "bool", "ref": self._ref}) is True

    def __repr__(self):
        return f"<your {self._type_name} object>"


def _index(value):
    if type(value) is not int or value < 0:
        raise Unavailable("len() of one of your objects did not give a whole number")
    return value


class Session:
    """One checkpoint's exchange with the submission's process, from the judge's side.

    Args:
        channel: a `ThreadedChannel` to the submission's process.
        note: a function called with a line for the teacher (a message the
            submission should not have sent, say).
    """

    def __init__(self, channel, note, rebuilt=None):
        self.channel, self.note = channel, note
        self.hidden = False  # a hidden check is running: the student's error texts are not shown
        #: Models rebuilt at earlier checkpoints, by the digest of what described them (the judge's cache).
        self.rebuilt = {} if rebuilt is None else rebuilt
        self.cache, self.origin, self.lent, self.defined = {}, {}, {}, {}

    # -- asking -----------------------------------------------------------------------------------
    def request(self, message, args=(), kwargs=None):
        """Send a request (with arguments, for a call) and return the decoded answer."""
        blobs = []
        if args or kwargs:
            encoder = Encoder(self._extend)
            try:
                message = {**message, "args": [encoder.encode(a) for a in args],
                           "kwargs": {str(k): encoder.encode(v) for k, v in (kwargs or {}).items()}}
            except NotPlainData as exc:
                raise TypeError(f"a check passed the student's code something it cannot send: {exc}") from None
            blobs = encoder.blobs
        reply, reply_blobs = self._exchange(message, blobs, ("result", "raised", "bad_request", "unknown_request"))
        if reply["type"] == "raised":
            raise self._student_error(reply.get("error"))
        if reply["type"] != "result":
            raise Unavailable("your process did not answer the grader's question")
        return self.decode(reply.get("value"), reply_blobs)

    def get(self, names):
        """The student's values of `names`: a dict name -> node, and the blobs (decoded lazily)."""
        reply, blobs = self._exchange({"type": "get", "names": list(names)}, [], ("values",))
        values = reply.get("values")
        if not isinstance(values, dict):
            raise RunnerGone("the submission's process answered the request for its values with something else")
        self._index(list(values.values()), blobs)
        return values, blobs

    def _index(self, nodes, blobs, depth=0):
        """Where each object of the answer is described, so that a later mention can be decoded first."""
        for node in nodes:
            if depth > 30 or not isinstance(node, (dict, list)):
                continue
            if isinstance(node, list):
                self._index(node, blobs, depth + 1)
                continue
            if node.get("t") in ("model", "layer", "history", "function", "object") and type(node.get("ref")) is int:
                self.defined.setdefault(node["ref"], (node, blobs))
            self._index([v for k, v in node.items() if k not in ("config", "weights")], blobs, depth + 1)

    def _defined(self, ref):
        """The object `ref` names: decoded already, or decoded now from where the answer describes it."""
        if ref not in self.cache and ref in self.defined:
            node, blobs = self.defined.pop(ref)
            Decoder(blobs, self._resolve).decode(node)
        if ref not in self.cache:
            raise MalformedValue("a reference to an object not sent before")
        return self.cache[ref]

    def _exchange(self, message, blobs, expected):
        try:
            self.channel.send(message, blobs)
        except ChannelClosed:
            raise RunnerGone("the submission's process ended") from None
        strays = 0
        while True:
            try:
                reply, reply_blobs = self.channel.receive()
            except (ChannelClosed, ProtocolError) as exc:
                raise RunnerGone(str(exc) or "the submission's process ended") from None
            if reply["type"] in expected:
                return reply, reply_blobs
            if reply["type"] == "callback":
                self._callback(reply, reply_blobs)
                continue
            strays += 1
            self.note(f"ignored a message of type {one_line(reply['type'], 40)!r} sent out of turn")
            if strays > MAX_STRAY_MESSAGES:
                raise RunnerGone("the submission's process kept sending messages out of turn")

    def _student_error(self, error):
        if not isinstance(error, dict):
            error = {}
        text = one_line(error.get("message"), 300) if isinstance(error.get("message"), str) else ""
        return StudentCodeError(self.exception_name(error.get("type")), None if self.hidden else text,
                                self.where_text(error.get("where")))

    def where_text(self, where):
        """Overridden by the judge: " (in f, line N of ...)" from the cell and line the student's side gave."""
        return ""

    def exception_name(self, raw):
        """Overridden by the judge: the exception's class name as the feedback may show it."""
        return "an error"

    # -- reading the answers ------------------------------------------------------------------------
    def decode(self, node, blobs):
        try:
            return Decoder(blobs, self._resolve).decode(node)
        except MalformedValue as exc:
            self.note(f"ignored a malformed value: {exc}")
            raise Unavailable("the grader could not read this value from your process") from None

    def _resolve(self, decoder, node, depth):
        kind, ref = node["t"], node.get("ref")
        if kind == "unavailable":
            raise Unavailable(one_line(node.get("why", "it could not be sent"), 300))
        if kind in ("same", "model", "layer", "history", "function", "object") and type(ref) is not int:
            raise MalformedValue(f"a {kind} without a reference")
        if kind == "same":
            return self._defined(ref)
        if kind == "member":
            return self._member(node)
        if kind in ("model", "layer"):
            return self._remember(ref, self._rebuild(node, decoder, depth))
        if kind == "history":
            model = None if node.get("model") is None else decoder.decode(node["model"], depth + 1)
            return self._remember(ref, self._keras_call(
                _keras_wire.rebuild_history, node, lambda n: decoder.decode(n, depth + 1), model))
        if kind == "record":
            return self._record(node, decoder, depth)
        if kind == "keras":
            return self._keras_call(_keras_wire.rebuild_keras_object, node.get("config"))
        if kind == "keras_function":
            return self._keras_call(_keras_wire.keras_function, node.get("name"))
        if kind == "function":
            return self._remember(ref, RemoteFunction(self, ref, one_line(node.get("name", ""), 80)))
        if kind == "object":
            return self._remember(ref, RemoteObject(self, ref, one_line(node.get("type", "object"), 80)))
        raise MalformedValue(f"a value of unknown kind {kind[:40]!r}")

    def _remember(self, ref, value):
        if ref in self.cache:
            return self.cache[ref]
        self.cache[ref], self.origin[id(value)] = value, ref
        return value

    def _member(self, node):
        owner, path = node.get("of"), node.get("path")
        if type(owner) is not int or not isinstance(path, list):
            raise MalformedValue("a layer of a model that was not sent")
        layer = self._defined(owner)
        for index in path:
            sublayers = getattr(layer, "layers", None) or ()
            if type(index) is not int or not 0 <= index < len(sublayers):
                raise MalformedValue("a layer path that leads nowhere")
            layer = sublayers[index]
        return layer

    def _rebuild(self, node, decoder, depth):
        """The judge's copy of a model: rebuilt, or the copy an earlier checkpoint rebuilt from the same data."""
        key = _content_key(node, decoder.blobs)
        if key is not None and key in self.rebuilt:
            return self.rebuilt[key]
        model = self._keras_call(_keras_wire.rebuild_layer, node, decoder, lambda n: decoder.decode(n, depth + 1))
        if key is not None:
            self.rebuilt[key] = model
        return model

    def _keras_call(self, function, *args):
        try:
            return function(*args)
        except _keras_wire.Refused as exc:
            raise Unavailable(f"the grader could not rebuild it: {exc}") from None

    def _record(self, node, decoder, depth):
        cls = self._keras_call(_keras_wire.record_class, node.get("cls"))
        fields = node.get("v")
        if not isinstance(fields, dict):
            raise MalformedValue("a record without fields")
        values = {str(k): decoder.decode(v, depth + 1) for k, v in fields.items()}
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise Unavailable(f"its fields do not make a {cls.__name__} ({one_line(exc, 200)})") from None

    # -- the judge's objects, lent to the student's functions ------------------------------------------
    def _extend(self, encoder, value, depth):
        ref = self.origin.get(id(value))
        if ref is not None and self.cache.get(ref) is value:
            return {"t": "student", "ref": ref}
        keras = _keras_wire.loaded_keras()
        if keras is not None and isinstance(value, keras.Model):
            ident = len(self.lent) + 1
            self.lent[ident] = value
            return {"t": "judge_model", "ref": ident, "input_shape": _shape(value, "input_shape"),
                    "output_shape": _shape(value, "output_shape")}
        return None

    def _callback(self, message, blobs):
        model = self.lent.get(message.get("ref"))
        try:
            if model is None or message.get("method") not in ("call", "predict"):
                raise ValueError("no such test model")
            args = message.get("args")
            if not isinstance(args, list) or len(args) != 1 or sum(len(b) for b in blobs) > MAX_CALLBACK_BYTES:
                raise ValueError("one input array expected")
            x = np.asarray(Decoder(blobs).decode(args[0]), dtype="float32")
            if message["method"] == "predict":
                y = _predicted(model, x)
            else:
                y = model(x, training=message.get("training") is True)
            encoder = Encoder()
            self.channel.send({"type": "callback_result", "value": encoder.encode(np.asarray(y))}, encoder.blobs)
        except (MalformedValue, ValueError, TypeError) as exc:
            self.channel.send({"type": "callback_error", "why": one_line(exc, 200)})
        except Exception as exc:  # noqa: BLE001  (the test model could not run on these inputs)
            self.channel.send({"type": "callback_error",
                               "why": f"the test model could not run on these inputs ({type(exc).__name__})"})


def _predicted(model, x, batch_size=256):
    """What `model.predict(x)` returns, by plain calls on batches: no retracing warning, no progress bar."""
    outputs = [np.asarray(model(x[start:start + batch_size], training=False))
               for start in range(0, max(len(x), 1), batch_size)]
    return np.concatenate(outputs)


def _content_key(node, blobs):
    """A digest of everything that describes a model (configuration, weights, flags, loss, optimizer).

    None when the node refers to other objects (its loss is a function of the student's): those
    are references of one checkpoint only, so such a model is rebuilt each time.
    """
    described = {k: v for k, v in node.items() if k != "ref"}
    text = json.dumps(described, sort_keys=True)
    if '"ref"' in text:
        return None
    digest = hashlib.sha256(text.encode("utf-8"))
    for index in _blob_indexes(described):
        if type(index) is int and 0 <= index < len(blobs):
            digest.update(blobs[index])
    return digest.hexdigest()


def _blob_indexes(node):
    if isinstance(node, dict):
        if "b" in node:
            yield node["b"]
        for value in node.values():
            yield from _blob_indexes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _blob_indexes(value)


def _shape(model, attribute):
    try:
        return [None if d is None else int(d) for d in getattr(model, attribute)]
    except (AttributeError, TypeError, ValueError):
        return None


class StudentValues:
    """The student's names at one checkpoint, for `checks.run_check`: `name in values`, `values[name]`.

    Args:
        session: the checkpoint's `Session`.
        nodes: name -> node, as the submission's process sent them.
        blobs: the blobs of that message.
        explain_missing: a function `name -> message` for a name that is not
            defined (the judge points at the cell that should have defined it).
    """

    def __init__(self, session, nodes, blobs, explain_missing):
        self._session, self._nodes, self._blobs = session, nodes, blobs
        self._decoded, self._explain = {}, explain_missing

    def __contains__(self, name):
        node = self._nodes.get(name)
        return isinstance(node, dict) and node.get("t") != "undefined"

    def __getitem__(self, name):
        if name not in self._decoded:
            if name not in self:
                raise KeyError(name)
            try:
                self._decoded[name] = ("ok", self._session.decode(self._nodes[name], self._blobs))
            except Unavailable as exc:
                self._decoded[name] = ("unavailable", f"`{name}`: {exc}")
        state, value = self._decoded[name]
        if state == "unavailable":
            raise Unavailable(value)
        return value

    def get(self, name, default=None):
        try:
            return self[name]
        except (KeyError, Unavailable):
            return default

    def missing_message(self, name):
        return self._explain(name, ellipsis=isinstance(self._nodes.get(name), dict)
                             and self._nodes[name].get("t") == "ellipsis")

