"""Messages between the judge and a submission's process: a JSON header and binary blobs, size-capped.

One message on the wire is an 8-byte header (the JSON part's length and the
number of blobs), the JSON part (UTF-8, an object), then each blob as an
8-byte length and its bytes. Arrays travel as their raw bytes, with their
dtype and shape in the JSON part (`_values`); nothing is ever unpickled.
Every length is checked against a cap before anything is allocated, so a
submission that writes garbage or a huge length on its channel gets a
`ProtocolError`, never a grader that runs out of memory.
"""

import json
import os
import queue
import struct
import threading

_HEADER = struct.Struct(">II")
_BLOB = struct.Struct(">Q")
#: Caps on one message: the JSON part, the number of blobs, and all its bytes together.
MAX_JSON_BYTES = 64 << 20
MAX_BLOBS = 100_000
MAX_MESSAGE_BYTES = 512 << 20


class ProtocolError(Exception):
    """What came over a channel is not a message the grader accepts (the text says why)."""


class ChannelClosed(Exception):
    """The other end closed its side of the channel (its process ended, or was stopped)."""


def pack(message, blobs=()):
    """The bytes of one message: `message` (a JSON-able dict) and its `blobs` (bytes objects)."""
    text = json.dumps(message, separators=(",", ":")).encode("utf-8")
    parts = [_HEADER.pack(len(text), len(blobs)), text]
    for blob in blobs:
        parts.append(_BLOB.pack(len(blob)))
        parts.append(bytes(blob))
    return b"".join(parts)


def read_message(read_exact):
    """Read one message with `read_exact(n)` (which returns exactly n bytes or raises `ChannelClosed`).

    Returns:
        `(message, blobs)`: the JSON object (a dict) and the list of blobs.

    Raises:
        ProtocolError: a length over its cap, JSON that does not parse, or
            JSON that is not an object with a string "type".
        ChannelClosed: the channel ended before or inside the message.
    """
    json_length, count = _HEADER.unpack(read_exact(_HEADER.size))
    if json_length > MAX_JSON_BYTES:
        raise ProtocolError(f"a message header announces {json_length:,} bytes of JSON (at most "
                            f"{MAX_JSON_BYTES:,} are accepted)")
    if count > MAX_BLOBS:
        raise ProtocolError(f"a message announces {count:,} binary parts (at most {MAX_BLOBS:,})")
    try:
        message = json.loads(read_exact(json_length).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:  # nested 100,000 deep, say
        raise ProtocolError(f"a message's JSON part does not parse ({type(exc).__name__})") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("a message is not a JSON object with a string \"type\"")
    total, blobs = json_length, []
    for _ in range(count):
        (length,) = _BLOB.unpack(read_exact(_BLOB.size))
        total += length
        if total > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"a message is larger than the {MAX_MESSAGE_BYTES:,} bytes accepted")
        blobs.append(read_exact(length))
    return message, blobs


def fd_reader(fd):
    """A `read_exact` function over a file descriptor (blocking)."""

    def read_exact(n):
        chunks, left = [], n
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise ChannelClosed()
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    return read_exact


def write_all(fd, data):
    """Write all of `data` to `fd` (blocking); `ChannelClosed` if the reader has gone."""
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view[: 1 << 20])
            view = view[written:]
    except (BrokenPipeError, ConnectionResetError):
        raise ChannelClosed() from None


class BlockingChannel:
    """The submission's side of the channel: blocking reads and writes on two file descriptors."""

    def __init__(self, read_fd, write_fd):
        self._read_exact = fd_reader(read_fd)
        self._write_fd = write_fd

    def send(self, message, blobs=()):
        write_all(self._write_fd, pack(message, blobs))

    def send_packed(self, data):
        write_all(self._write_fd, data)

    def receive(self):
        return read_message(self._read_exact)


class ThreadedChannel:
    """The judge's side: a thread reads messages into a queue, so that waiting can time out.

    `receive(timeout)` returns the next `(message, blobs)`, or raises what the
    reading thread met: `ChannelClosed` once the submission's side closed,
    `ProtocolError` for a malformed message (after which the channel is dead:
    the framing can no longer be trusted). `queue.Empty` when `timeout` ran out.
    """

    def __init__(self, read_fd, write_fd):
        self._write_fd = write_fd
        self._queue = queue.Queue(maxsize=2)
        self._reader = threading.Thread(target=self._read_loop, args=(fd_reader(read_fd),), daemon=True)
        self._reader.start()
        self._ended = None

    def _read_loop(self, read_exact):
        while True:
            try:
                item = read_message(read_exact)
            except (ChannelClosed, ProtocolError) as exc:
                self._queue.put(exc)
                return
            except OSError:
                self._queue.put(ChannelClosed())
                return
            except Exception as exc:  # noqa: BLE001  (whatever broke the reading: the channel is dead)
                self._queue.put(ProtocolError(f"a message could not be read ({type(exc).__name__})"))
                return
            self._queue.put(item)

    def send(self, message, blobs=()):
        write_all(self._write_fd, pack(message, blobs))

    def receive(self, timeout=None):
        if self._ended is not None:
            raise self._ended
        item = self._queue.get(timeout=timeout)
        if isinstance(item, Exception):
            self._ended = item
            raise item
        return item
