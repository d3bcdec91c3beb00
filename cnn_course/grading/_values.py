"""Plain data on the wire: Python values as JSON nodes and raw array bytes, checked on the way in.

Both sides of the channel use these: the submission's process to send the
student's values, the judge to send a check's inputs. A node is a dict with
a kind "t": none, bool, int, float, str, bytes, ellipsis, list, tuple, set,
dict, namedtuple, array, scalar. Each side adds its own kinds for what is not
plain data (references to objects that stay in the other process), through
the `extend` and `resolve` hooks. `Decoder` checks every node it reads and
raises `MalformedValue` for anything it did not expect: a kind it does not
know, a field of the wrong type, an object array, a container past its cap.
"""

import collections
import math

import numpy as np

#: Caps on one value: nesting depth, items of one container, characters of one string.
MAX_DEPTH = 24
MAX_ITEMS = 1_000_000
MAX_STRING = 10_000_000
#: The largest integer that travels (about 1,200 decimal digits; Python writes up to 4,300 in JSON).
MAX_INT_BITS = 4000
#: Array element kinds that travel (booleans, numbers, strings, dates); never objects.
ARRAY_KINDS = set("biufcUSMm")


class MalformedValue(Exception):
    """A value node that does not follow the format (the text says what was wrong)."""


class NotPlainData(Exception):
    """A value with no plain-data form, and no extension that takes it."""


class Encoder:
    """Turns a value into a node, collecting the blobs it refers to in `self.blobs`.

    Args:
        extend: a function `(encoder, value, depth)` returning a node for a value
            that is not plain data, or None to refuse it (`NotPlainData`).
    """

    def __init__(self, extend=None):
        self.blobs = []
        self._extend = extend

    def blob(self, data):
        self.blobs.append(bytes(data))
        return len(self.blobs) - 1

    def array_node(self, array, kind="array"):
        """An array as its raw bytes (C order) with its dtype and shape: never pickled, read with `frombuffer`."""
        array = np.asarray(array)  # not ascontiguousarray, which makes a 0-d array (a NumPy scalar) 1-d
        return {"t": kind, "dtype": array.dtype.str, "shape": list(array.shape), "b": self.blob(array.tobytes())}

    def encode(self, value, depth=0):
        if depth > MAX_DEPTH:
            raise NotPlainData(f"nested more than {MAX_DEPTH} levels deep")
        if value is None:
            return {"t": "none"}
        if value is Ellipsis:
            return {"t": "ellipsis"}
        if isinstance(value, bool):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, int) and not isinstance(value, bool):  # an int subclass travels as its value
            value = int.__int__(value)
            if value.bit_length() > MAX_INT_BITS:
                raise NotPlainData(f"an integer of {value.bit_length():,} bits")
            return {"t": "int", "v": value}
        if isinstance(value, float):
            value = float.__float__(value)
            return {"t": "float", "v": value if math.isfinite(value) else repr(value)}
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise NotPlainData(f"a string of {len(value):,} characters")
            return {"t": "str", "v": str.__str__(value)}
        if isinstance(value, bytes):
            return {"t": "bytes", "b": self.blob(bytes(value))}
        if isinstance(value, np.ndarray) and value.dtype.kind in ARRAY_KINDS:
            return self.array_node(value)
        if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
            return self.array_node(np.asarray(value), kind="scalar")
        if isinstance(value, (list, tuple, set, frozenset, dict)):
            return self._container(value, depth)
        node = self._extend(self, value, depth) if self._extend else None
        if node is None:
            raise NotPlainData(f"a {type(value).__name__}")
        return node

    def _container(self, value, depth):
        if len(value) > MAX_ITEMS:
            raise NotPlainData(f"a container of {len(value):,} items")
        if isinstance(value, dict):
            return {"t": "dict", "v": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                       for k, v in value.items()]}
        items = [self.encode(item, depth + 1) for item in value]
        if _is_namedtuple(value):
            return {"t": "namedtuple", "name": type(value).__name__, "fields": list(value._fields), "v": items}
        kind = "list" if isinstance(value, list) else "tuple" if isinstance(value, tuple) else "set"
        return {"t": kind, "v": items}


def _is_namedtuple(value):
    return isinstance(value, tuple) and type(value) is not tuple and isinstance(getattr(value, "_fields", None),
                                                                               tuple)


class Decoder:
    """Turns nodes back into values, checking each one.

    Args:
        blobs: the message's blobs.
        resolve: a function `(decoder, node, depth)` for the kinds this side
            adds; it returns the value or raises `MalformedValue`.
    """

    def __init__(self, blobs, resolve=None):
        self.blobs = blobs
        self._resolve = resolve

    #: The method that decodes each plain-data kind; any other kind goes to `resolve`.
    _KINDS = {"none": "_decode_constant", "ellipsis": "_decode_constant", "bool": "_decode_scalar",
              "int": "_decode_scalar", "float": "_decode_scalar", "str": "_decode_scalar", "bytes": "_decode_bytes",
              "array": "_decode_array", "scalar": "_decode_array", "list": "_decode_sequence",
              "tuple": "_decode_sequence", "set": "_decode_sequence", "namedtuple": "_decode_sequence",
              "dict": "_decode_dict"}

    def decode(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise MalformedValue(f"a value nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise MalformedValue("a value node that is not an object with a kind")
        kind = node["t"]
        method = self._KINDS.get(kind)
        if method is not None:
            return getattr(self, method)(node, kind, depth)
        if self._resolve is None:
            raise MalformedValue(f"a value of unknown kind {kind[:40]!r}")
        return self._resolve(self, node, depth)

    def _decode_constant(self, node, kind, depth):
        """None or Ellipsis."""
        return None if kind == "none" else Ellipsis

    def _decode_scalar(self, node, kind, depth):
        """A bool, an int (at most `MAX_INT_BITS`), a float or a string."""
        value = self._scalar(kind, node.get("v"))
        if kind == "int" and value.bit_length() > MAX_INT_BITS:
            raise MalformedValue("an integer too large")
        return value

    def _decode_bytes(self, node, kind, depth):
        """Bytes: one of the message's blobs."""
        return self.blob(node)

    def _decode_array(self, node, kind, depth):
        """An array or a NumPy scalar."""
        return self._array(node, kind)

    def _decode_sequence(self, node, kind, depth):
        """A list, tuple, set or named tuple of at most `MAX_ITEMS` items."""
        items = node.get("v")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise MalformedValue(f"a {kind} whose items are not a list (or too many)")
        values = [self.decode(item, depth + 1) for item in items]
        if kind == "namedtuple":
            return self._namedtuple(node, values)
        try:
            return {"list": list, "tuple": tuple, "set": set}[kind](values)
        except TypeError:
            raise MalformedValue("a set of unhashable items") from None

    def _decode_dict(self, node, kind, depth):
        """A dict of at most `MAX_ITEMS` [key, value] pairs with hashable keys."""
        pairs = node.get("v")
        if not isinstance(pairs, list) or len(pairs) > MAX_ITEMS or not all(
                isinstance(p, list) and len(p) == 2 for p in pairs):
            raise MalformedValue("a dict whose items are not [key, value] pairs")
        try:
            return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in pairs}
        except TypeError:
            raise MalformedValue("a dict with an unhashable key") from None

    def blob(self, node):
        index = node.get("b")
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise MalformedValue("a reference to a binary part that does not exist")
        return self.blobs[index]

    def _scalar(self, kind, value):
        if kind == "bool" and type(value) is bool:
            return value
        if kind == "int" and type(value) is int:
            return value
        if kind == "float":
            if type(value) in (int, float):
                return float(value)
            if value in ("nan", "inf", "-inf"):
                return float(value)
        if kind == "str" and type(value) is str and len(value) <= MAX_STRING:
            return value
        raise MalformedValue(f"a {kind} node that holds a {type(value).__name__}")

    def _array(self, node, kind):
        data, shape, name = self.blob(node), node.get("shape"), node.get("dtype")
        if not isinstance(name, str) or len(name) > 16 or not isinstance(shape, list) or len(shape) > 32 or not all(
                type(n) is int and n >= 0 for n in shape):
            raise MalformedValue("an array with a malformed dtype or shape")
        try:
            dtype = np.dtype(name)
        except (TypeError, ValueError):
            raise MalformedValue("an array of an unknown dtype") from None
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.hasobject or dtype.itemsize == 0:
            raise MalformedValue("an array of objects, records or empty items")
        if len(data) != math.prod(shape) * dtype.itemsize:
            raise MalformedValue("an array whose bytes do not fit its shape")
        array = np.frombuffer(bytearray(data), dtype=dtype).reshape(shape)  # a writable copy
        if kind == "scalar":
            if array.ndim != 0:
                raise MalformedValue("a scalar with dimensions")
            return array[()]
        return array

    def _namedtuple(self, node, values):
        name, fields = node.get("name"), node.get("fields")
        if (not isinstance(name, str) or not name.isidentifier() or not isinstance(fields, list)
                or len(fields) != len(values) or not all(isinstance(f, str) and f.isidentifier()
                                                         and not f.startswith("_") for f in fields)
                or len(set(fields)) != len(fields)):
            raise MalformedValue("a named tuple with bad field names")
        return collections.namedtuple(name, fields)(*values)

