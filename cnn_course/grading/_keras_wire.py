"""Keras objects across the channel: described as configuration and weights, rebuilt by the judge.

The submission's side (`encode_keras`) describes a model or a layer by its
Keras configuration (`serialize_keras_object`, as in a `.keras` file), its
weights as arrays, each sublayer's `trainable` flag, its loss, and its
optimizer's configuration, step count and the weights it was built for; a
`History` by its numbers. The judge's side (`KerasRebuilder`) first walks
the configuration and refuses anything that is not Keras's own (a class or
function from the student's notebook, a `Lambda`, a module outside Keras),
then rebuilds it with Keras's safe mode and sets the weights, so that a
check runs the student's trained network on hidden inputs in the judge's
process, never in the student's.
"""

import dataclasses
import importlib
import json
import sys

import numpy as np

#: The largest model (all weights together) the submission's side describes.
MAX_MODEL_BYTES = 256 << 20
#: Special entries of a Keras configuration that hold plain data.
_PLAIN_ENTRIES = {"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__ellipsis__", "__slice__",
                  "__tuple__"}
#: Public Keras modules whose functions a configuration may name (activations, losses, metrics).
_FUNCTION_MODULES = ("activations", "losses", "metrics")
#: cnn_course's records (dataclasses of plain fields) that travel by their fields and are rebuilt by the
#: judge. Any other object of the student's stays in the student's process (the judge reads it remotely).
RECORD_CLASSES = ("cnn_course.datasets._folders:ImageSet", "cnn_course.transfer._freezing:TrainableSummary",
                  "cnn_course.learning_curves:CurveResult", "cnn_course.explain._dense_vs_conv:DenseConvComparison",
                  "cnn_course.explain._tables:LayerRow", "cnn_course.explain._tables:ModelExplanation",
                  "cnn_course.transfer._features:ExtractionInfo")


class Refused(Exception):
    """A Keras object the judge will not rebuild (the text says why, for the student)."""


# -- the submission's side ------------------------------------------------------------------------
def loaded_keras():
    """Keras if this process has imported it, else None (the wire never imports it for a value)."""
    return sys.modules.get("keras")


def walk_layers(layer, path=()):
    """`(path, sublayer)` pairs of the layers inside a model (depth first, through nested models)."""
    for index, sub in enumerate(getattr(layer, "layers", None) or ()):
        yield (*path, index), sub
        yield from walk_layers(sub, (*path, index))


def encoding_order(names, namespace):
    """`names` with the Keras models holding the most layers first, so that a nested model is a member."""
    keras = loaded_keras()

    def size(name):
        value = namespace.get(name)
        if keras is not None and isinstance(value, keras.layers.Layer):
            return -sum(1 for _ in walk_layers(value)) - 1
        return 0

    return sorted(dict.fromkeys(names), key=size)


def as_array(value):
    """A TensorFlow tensor or a Keras variable as a NumPy array (None for anything else)."""
    module = type(value).__module__
    if module.startswith(("tensorflow", "keras")) and hasattr(value, "shape") and hasattr(value, "dtype"):
        try:
            return np.asarray(value)
        except Exception:  # noqa: BLE001  (a symbolic tensor has no values)
            return None
    return None


def encode_record(encoder, value, depth):
    """A dataclass instance of cnn_course (an `ImageSet`, a `TrainableSummary`) by its fields; else None."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return None
    cls = type(value)
    if f"{cls.__module__}:{cls.__qualname__}" not in RECORD_CLASSES:
        return None
    fields = {f.name: encoder.encode(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)
              if f.init}
    return {"t": "record", "cls": f"{cls.__module__}:{cls.__qualname__}", "v": fields}


def encode_keras(runner, encoder, value, depth):
    """The node of a Keras model, layer, history, loss, optimizer or built-in function; None otherwise."""
    keras = loaded_keras()
    if keras is None:
        return None
    if isinstance(value, keras.callbacks.History):
        model = getattr(value, "model", None)
        return {"t": "history", "ref": runner.remember(value),
                "history": encoder.encode({str(k): [float(x) for x in v] for k, v in value.history.items()}),
                "params": encoder.encode({str(k): v for k, v in (value.params or {}).items()
                                          if type(v) in (int, float, str, bool) or v is None}),
                "epoch": encoder.encode([int(e) for e in value.epoch]),
                "model": None if model is None else encoder.encode(model, depth + 1)}
    if isinstance(value, keras.layers.Layer):
        return _encode_layer(runner, encoder, value, depth)
    savable = (keras.losses.Loss, keras.optimizers.Optimizer, keras.metrics.Metric,
               keras.optimizers.schedules.LearningRateSchedule)
    if isinstance(value, savable):
        return {"t": "keras", "config": json.dumps(keras.saving.serialize_keras_object(value))}
    module = getattr(value, "__module__", None) or ""
    if callable(value) and module.startswith("keras.") and hasattr(value, "__name__"):
        return {"t": "keras_function", "name": value.__name__}
    return None


def _encode_layer(runner, encoder, layer, depth):
    keras = loaded_keras()
    member = runner.members.get(id(layer))
    if member is not None:
        return {"t": "member", "of": member[0], "path": list(member[1])}
    if id(layer) in runner.described:
        return {"t": "same", "ref": runner.described[id(layer)]}
    ref = runner.remember(layer)
    weights = [np.asarray(w) for w in layer.weights]
    size = sum(w.nbytes for w in weights)
    if size > MAX_MODEL_BYTES:
        return {"t": "unavailable", "why": f"its weights take {size / 2**20:,.0f} MiB, more than the "
                                          f"{MAX_MODEL_BYTES >> 20} MiB the grader takes"}
    try:
        config = keras.saving.serialize_keras_object(layer)
        config.pop("compile_config", None)
        text = json.dumps(config)
    except Exception as exc:  # noqa: BLE001  (a subclassed model has no config to write)
        return {"t": "unavailable", "why": "its configuration cannot be written, so the grader cannot rebuild "
                                          f"it ({type(exc).__name__}): build it with keras.Sequential or the "
                                          "functional API, from Keras's own layers"}
    runner.described[id(layer)] = ref
    layers = list(walk_layers(layer))
    for path, sub in layers:
        runner.members.setdefault(id(sub), (ref, path))
    node = {"t": "model" if isinstance(layer, keras.Model) else "layer", "ref": ref, "config": text,
            "weights": [encoder.array_node(w) for w in weights],
            "trainable": [[[], bool(layer.trainable)]] + [[list(p), bool(s.trainable)] for p, s in layers],
            "compiled": bool(getattr(layer, "compiled", False)) and getattr(layer, "optimizer", None) is not None}
    if node["compiled"]:
        node["loss"] = encoder.encode(getattr(layer, "loss", None), depth + 1)
        node["optimizer"] = _optimizer(layer)
    return node


def _optimizer(model):
    keras = loaded_keras()
    optimizer = model.optimizer
    built_for = None
    variables = getattr(optimizer, "_trainable_variables", None)
    if getattr(optimizer, "built", False) and variables is not None:
        position = {id(w): i for i, w in enumerate(model.weights)}
        built_for = [position[id(v)] for v in variables if id(v) in position]
    return {"config": json.dumps(keras.saving.serialize_keras_object(optimizer)),
            "iterations": int(np.asarray(optimizer.iterations)), "built_for": built_for}


# -- the judge's side -----------------------------------------------------------------------------
def _allowed_bases(keras):
    return (keras.layers.Layer, keras.Operation, keras.losses.Loss, keras.metrics.Metric,
            keras.optimizers.Optimizer, keras.initializers.Initializer, keras.regularizers.Regularizer,
            keras.constraints.Constraint, keras.optimizers.schedules.LearningRateSchedule, keras.DTypePolicy)


def keras_function(name):
    """A Keras built-in activation, loss or metric function by name (`Refused` if there is none)."""
    keras = loaded_keras()
    for module in _FUNCTION_MODULES:
        found = getattr(getattr(keras, module), name, None) if isinstance(name, str) else None
        if callable(found) and not isinstance(found, type):
            return found
    raise Refused(f"it uses the function `{str(name)[:60]}`, which is not one of Keras's own")


def check_config(config, depth=0):
    """Walk a Keras configuration; raise `Refused` at the first entry that is not Keras's own."""
    if depth > 200:
        raise Refused("its configuration is nested too deeply")
    if isinstance(config, list):
        for item in config:
            check_config(item, depth + 1)
        return
    if not isinstance(config, dict):
        return
    if "class_name" in config:
        _check_entry(config)
    for value in config.values():
        check_config(value, depth + 1)


def _check_entry(entry):
    keras = loaded_keras()
    name, module = entry.get("class_name"), entry.get("module")
    if not isinstance(name, str):
        raise Refused("its configuration names a class that is not a string")
    if name in _PLAIN_ENTRIES:
        return
    if name == "Lambda" or name.startswith("__"):
        raise Refused("it holds a Lambda layer (Python code), which the grader does not run: use Keras's own "
                      "layers and the functional API instead")
    if name == "function":
        keras_function(entry.get("config"))
        return
    if not isinstance(module, str) or not (module == "keras" or module.startswith("keras.")):
        raise Refused(f"it uses `{name}`, a class defined in your notebook: the grader rebuilds models from "
                      "Keras's own layers only (the functional API joins them in any pattern, residual "
                      "connections included)")
    if entry.get("registered_name") not in (None, name):
        raise Refused(f"it uses `{name}`, registered as a custom object")
    found = getattr(sys.modules.get(module), name, None)  # modules Keras has imported: nothing new runs
    if not (isinstance(found, type) and issubclass(found, _allowed_bases(keras))):
        raise Refused(f"it names `{module}.{name}`, which is not a Keras layer, loss, metric or optimizer")


def rebuild_keras_object(text):
    """A loss, metric, optimizer or schedule from its configuration text, checked first."""
    keras = loaded_keras()
    try:
        config = json.loads(text)
    except (TypeError, ValueError):
        raise Refused("its configuration does not parse") from None
    check_config(config)
    try:
        return keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as exc:  # noqa: BLE001  (Keras refused it: say so)
        raise Refused(f"Keras could not rebuild it ({type(exc).__name__})") from None


def rebuild_layer(node, decoder, decode_value):
    """The judge's copy of a student's model or layer from its node: configuration, weights, flags, compile."""
    keras = loaded_keras()
    try:
        config = json.loads(node.get("config"))
    except (TypeError, ValueError):
        raise Refused("its configuration does not parse") from None
    check_config(config)
    try:
        layer = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Refused:
        raise
    except Exception as exc:  # noqa: BLE001  (Keras could not rebuild it: say so)
        raise Refused(f"Keras could not rebuild it from its configuration ({type(exc).__name__}: "
                      f"{' '.join(str(exc).split())[:200]})") from None
    if not isinstance(layer, keras.layers.Layer):
        raise Refused("its configuration does not describe a Keras layer or model")
    weights = node.get("weights")
    if not isinstance(weights, list):
        raise Refused("its weights are missing")
    arrays = [decoder.decode(w) for w in weights]
    if len(arrays) != len(layer.weights) or any(
            not isinstance(a, np.ndarray) or tuple(a.shape) != tuple(w.shape) for a, w in zip(arrays, layer.weights)):
        raise Refused("its weights do not fit its configuration")
    for variable, array in zip(layer.weights, arrays):
        variable.assign(array.astype(variable.dtype, copy=False))
    _set_trainable(layer, node.get("trainable"))
    if node.get("compiled") is True and isinstance(layer, keras.Model):
        _compile(layer, node, decoder, decode_value)
    return layer


def _set_trainable(layer, flags):
    if not isinstance(flags, list):
        raise Refused("its trainable flags are missing")
    for entry in flags:  # parents come before their layers: a parent's flag does not undo a child's
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], list)
                and type(entry[1]) is bool):
            raise Refused("its trainable flags are malformed")
        target = layer
        for index in entry[0]:
            sublayers = getattr(target, "layers", None) or ()
            if type(index) is not int or not 0 <= index < len(sublayers):
                raise Refused("its trainable flags name a layer it does not have")
            target = sublayers[index]
        target.trainable = entry[1]


def _compile(model, node, decoder, decode_value):
    loss = decode_value(node.get("loss"))
    info = node.get("optimizer")
    if not isinstance(info, dict) or type(info.get("iterations")) is not int:
        raise Refused("its optimizer is described badly")
    optimizer = rebuild_keras_object(info.get("config"))
    if not isinstance(optimizer, loaded_keras().optimizers.Optimizer):
        raise Refused("its optimizer is not a Keras optimizer")
    model.compile(optimizer=optimizer, loss=loss)
    built_for = info.get("built_for")
    if built_for is not None:
        if not isinstance(built_for, list) or not all(type(i) is int and 0 <= i < len(model.weights)
                                                       for i in built_for):
            raise Refused("its optimizer names weights the model does not have")
        optimizer.build([model.weights[i] for i in built_for])
    optimizer.iterations.assign(max(0, min(info["iterations"], 2**62)))


def rebuild_history(node, decode_value, model):
    """A `keras.callbacks.History` with the student's numbers (and the judge's copy of its model)."""
    keras = loaded_keras()
    history = keras.callbacks.History()
    values, params, epoch = (decode_value(node.get(k)) for k in ("history", "params", "epoch"))
    if not (isinstance(values, dict) and all(isinstance(k, str) and isinstance(v, list) for k, v in values.items())
            and isinstance(params, dict) and isinstance(epoch, list)):
        raise Refused("its history is described badly")
    history.history, history.params, history.epoch = values, params, epoch
    if model is not None:
        history.set_model(model)
    return history


def record_class(name):
    """The class of a record: one of `RECORD_CLASSES` only (`Refused` for anything else, never imported)."""
    if name not in RECORD_CLASSES:
        raise Refused(f"a record of class {str(name)[:80]!r}, which is not one of cnn_course's records")
    module, _, qualname = name.partition(":")
    cls = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise Refused(f"a record of class {name!r}, which is not a record in this version of cnn_course")
    return cls
