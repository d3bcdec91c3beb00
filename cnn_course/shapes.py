"""The course's embedded offline dataset: seeded images of shapes on cluttered backgrounds, written as PNG folders."""

import dataclasses
import json
import math
import numbers
import os
import pathlib
import secrets
import shutil
import time
import types
import zlib

import numpy as np
from PIL import Image, ImageDraw

from cnn_course._validation import arg_error, check_bool, check_choice, check_positive_int, check_seed

#: Every shape the generator can draw; a dataset's classes are a subset of these.
#: The ones after "hexagon" were added for the source task that pretrains
#: `cnn_course.shapes_base` (shapes that are not course classes).
SHAPES = (
    "circle", "square", "triangle", "star", "cross", "hexagon",
    "pentagon", "diamond", "trapezoid", "arrow", "heart", "crescent", "ellipse",
)

#: The classes of the course dataset, in label order.
DEFAULT_CLASSES = ("circle", "square", "triangle", "star")

#: Images per class in each split of the course dataset (read-only; pass `counts=` to change).
DEFAULT_COUNTS = types.MappingProxyType({"train": 250, "validation": 100, "test": 100})

#: Format marker written into (and checked in) every `manifest.json`.
GENERATOR = "cnn_course.shapes"

#: Bumped whenever the drawing changes, so that older datasets on disk get regenerated.
GENERATOR_VERSION = 1

MANIFEST_NAME = "manifest.json"

_SUPERSAMPLE = 4  # draw at 4x the final size, then average 4x4 blocks (anti-aliasing)
#: The smallest image side `make_shapes_dataset` draws: below it a shape is only a few pixels wide.
MIN_IMAGE_SIZE = 16
_MIN_CONTRAST = 70.0  # minimum brightness difference (0-255) between shape and background
_MAX_ROTATION = 25.0  # degrees either way from upright
_MIN_CLUTTER_CONTRAST = 60.0  # clutter colours stay this far from the shape colour

# Scale of each shape's circumradius so that all shapes cover about the same
# area at the same "size": the number of coloured pixels is then no clue.
_AREA_SCALE = {
    "circle": 0.80,
    "square": 1.00,
    "triangle": 1.24,
    "star": 1.23,
    "cross": 1.05,
    "hexagon": 0.88,
    # sqrt(2 / area of the outline at radius 1): the area of the square's outline.
    "pentagon": 0.917,
    "diamond": 1.291,
    "trapezoid": 1.183,
    "arrow": 1.221,
    "heart": 1.014,
    "crescent": 1.147,
    "ellipse": 1.032,
}


# ---------------------------------------------------------------------------
# Drawing one image
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class _Scene:
    """Everything random about one image, sampled before anything is drawn.

    Coordinates are in final-image pixels (floats); `_draw` scales them up.
    """

    image_size: int
    background: tuple  # (colour0, colour1 or None, gradient angle)
    noise: np.ndarray  # (H, W, 3) float, added after downsampling
    behind: list  # clutter drawn before the shape
    shape: str
    shape_colour: tuple
    shape_geometry: list  # polygon vertices, or [x0, y0, x1, y1] for a circle
    on_top: list  # thin clutter drawn over the shape


def _polygon(n_vertices, radius, angle, inner_ratio=None):
    """Vertices of a regular polygon (or star when `inner_ratio` is set) around (0, 0)."""
    points = []
    steps = 2 * n_vertices if inner_ratio else n_vertices
    for i in range(steps):
        r = radius * inner_ratio if (inner_ratio and i % 2) else radius
        a = angle + 2 * math.pi * i / steps
        points.append((r * math.cos(a), r * math.sin(a)))
    return points


def _cross(radius, angle):
    """Vertices of a plus sign whose arm tips lie `radius` from the centre."""
    half = 0.33 * radius  # half the arm width
    arm = math.sqrt(radius**2 - half**2)
    quarter = [(arm, -half), (arm, half), (half, half)]
    points = []
    for k in range(4):
        turn = k * math.pi / 2
        c, s = math.cos(turn), math.sin(turn)
        points.extend((x * c - y * s, x * s + y * c) for x, y in quarter)
    c, s = math.cos(angle), math.sin(angle)
    return [(x * c - y * s, x * s + y * c) for x, y in points]


def _rotated(points, angle):
    """`points` turned by `angle` (radians) about (0, 0)."""
    c, s = math.cos(angle), math.sin(angle)
    return [(x * c - y * s, x * s + y * c) for x, y in points]


# The outlines below point their "top" along +x; `_rotated` turns them upright.


def _diamond(radius):
    """A rhombus, 0.6 times as wide as it is tall."""
    r = radius
    return [(r, 0.0), (0.0, 0.6 * r), (-r, 0.0), (0.0, -0.6 * r)]


def _trapezoid(radius):
    """An isosceles trapezoid, its short side on top."""
    r = radius
    return [(0.55 * r, -0.45 * r), (0.55 * r, 0.45 * r), (-0.55 * r, 0.85 * r), (-0.55 * r, -0.85 * r)]


def _arrow(radius):
    """An arrow pointing up: a triangular head on a rectangular shaft."""
    r = radius
    head, neck, shaft = 0.75 * r, 0.05 * r, 0.3 * r  # head half-width, head base, shaft half-width
    return [(r, 0.0), (neck, head), (neck, shaft), (-r, shaft), (-r, -shaft), (neck, -shaft),
            (neck, -head)]


def _heart(radius, n=48):
    """The classic heart curve (x = 16 sin^3 t, y = 13 cos t - 5 cos 2t - ...), lobes on top."""
    points = []
    for i in range(n):
        t = 2 * math.pi * i / n
        across = 16 * math.sin(t) ** 3
        up = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((up / 17 * radius, across / 17 * radius))
    return points


def _crescent(radius, n=24):
    """A disc minus a smaller disc shifted towards the top: horns pointing up."""
    shift, inner = 0.5, 0.8  # centre offset and radius of the removed disc (outer radius 1)
    corner = math.acos((1 + shift**2 - inner**2) / (2 * shift))  # where the two circles cross
    points = []
    for i in range(n + 1):  # outer arc, the long way round (through the bottom)
        t = corner + (2 * math.pi - 2 * corner) * i / n
        points.append((radius * math.cos(t), radius * math.sin(t)))
    low = math.atan2(-math.sin(corner), math.cos(corner) - shift)  # crossings, seen from the inner centre
    high = math.atan2(math.sin(corner), math.cos(corner) - shift) - 2 * math.pi
    for i in range(1, n):  # inner arc back, also through the bottom
        t = low + (high - low) * i / n
        points.append((radius * (shift + inner * math.cos(t)), radius * inner * math.sin(t)))
    return points


def _ellipse(radius, n=40):
    """An upright ellipse, 0.6 times as wide as it is tall."""
    return [(radius * math.cos(2 * math.pi * i / n), 0.6 * radius * math.sin(2 * math.pi * i / n))
            for i in range(n)]


_UPRIGHT_OUTLINES = {
    "diamond": _diamond,
    "trapezoid": _trapezoid,
    "arrow": _arrow,
    "heart": _heart,
    "crescent": _crescent,
    "ellipse": _ellipse,
}


def _shape_outline(shape, radius, angle):
    """Outline of `shape` centred on (0, 0): polygon vertices, or None for a circle."""
    radius = radius * _AREA_SCALE[shape]
    if shape == "circle":
        return None
    if shape == "square":
        return _polygon(4, radius, angle)
    if shape == "triangle":
        return _polygon(3, radius, angle)
    if shape == "star":
        return _polygon(5, radius, angle, inner_ratio=0.45)
    if shape == "hexagon":
        return _polygon(6, radius, angle)
    if shape == "cross":
        return _cross(radius, angle)
    if shape == "pentagon":
        return _polygon(5, radius, angle)
    return _rotated(_UPRIGHT_OUTLINES[shape](radius), angle)


def _random_colour(rng):
    return tuple(int(c) for c in rng.integers(0, 256, size=3))


def _luminance(colour):
    r, g, b = colour
    return 0.299 * r + 0.587 * g + 0.114 * b


def _contrasting_colour(rng, avoid, min_distance):
    """A random colour at least `min_distance` (RGB distance) from every colour in `avoid`."""
    best, best_distance = None, -1.0
    for _ in range(100):
        colour = _random_colour(rng)
        distance = min(math.dist(colour, a) for a in avoid)
        if distance >= min_distance:
            return colour
        if distance > best_distance:
            best, best_distance = colour, distance
    return best


def _shape_colour(rng, background_colours, min_contrast):
    """A random colour whose brightness differs from the whole background by `min_contrast`.

    The shape is either darker than every background colour or brighter than
    all of them, so it stands out even in grey levels.
    """
    levels = [_luminance(c) for c in background_colours]
    darkest, brightest = min(levels), max(levels)
    room_below = darkest - min_contrast  # the shape's brightness may go up to this
    room_above = brightest + min_contrast  # ... or start from this
    choices = [s for s, ok in (("dark", room_below >= 0), ("bright", room_above <= 255)) if ok]
    polarity = choices[int(rng.integers(len(choices)))]
    colour = np.asarray(_random_colour(rng), dtype=float)
    level = _luminance(colour)
    if polarity == "dark":
        target = rng.uniform(0, room_below)
        if level > target:  # darken towards black, keeping the hue
            colour = colour * (target / level)
    else:
        target = rng.uniform(room_above, 255)
        if level < target:  # lighten towards white
            colour = 255 - (255 - colour) * ((255 - target) / (255 - level))
    return tuple(int(c) for c in np.clip(np.round(colour), 0, 255))


def _sample_clutter(rng, size, shape_colour, n_lines, n_dots, n_blobs):
    """Distractors: straight lines, dots and small irregular blobs (never a class shape)."""
    unit = size / 64  # clutter sizes are tuned at 64x64 and scale with the image
    items = []

    def colour():
        return _contrasting_colour(rng, [shape_colour], _MIN_CLUTTER_CONTRAST)

    for _ in range(n_lines):
        x0, y0 = rng.uniform(0, size, size=2)
        length = rng.uniform(0.15, 0.45) * size
        direction = rng.uniform(0, 2 * math.pi)
        x1, y1 = x0 + length * math.cos(direction), y0 + length * math.sin(direction)
        width = rng.uniform(0.7, 1.6) * unit
        items.append(("line", [(x0, y0), (x1, y1)], width, colour()))
    for _ in range(n_dots):
        x, y = rng.uniform(0, size, size=2)
        r = rng.uniform(0.6, 1.5) * unit
        items.append(("dot", [x - r, y - r, x + r, y + r], None, colour()))
    for _ in range(n_blobs):
        x, y = rng.uniform(0, size, size=2)
        n = int(rng.integers(5, 9))
        angles = np.sort(rng.uniform(0, 2 * math.pi, size=n))
        radii = rng.uniform(1.0, 3.5, size=n) * unit
        points = [(x + r * math.cos(a), y + r * math.sin(a)) for r, a in zip(radii, angles)]
        items.append(("blob", points, None, colour()))
    return items


def _sample_scene(shape, rng, image_size, clutter):
    """Draw every random choice for one image from `rng`, in a fixed order."""
    size = image_size
    # Background: a flat colour or a linear gradient between two colours.
    colour0 = _random_colour(rng)
    colour1 = None
    if rng.random() < 0.6:  # a gentle gradient: the second colour is near the first
        colour1 = tuple(int(c) for c in np.clip(np.add(colour0, rng.integers(-80, 81, size=3)), 0, 255))
    angle = float(rng.uniform(0, 2 * math.pi))
    noise_sigma = float(rng.uniform(0, 12)) if rng.random() < 0.7 else 0.0
    noise = rng.normal(0.0, 1.0, size=(size, size, 3)) * noise_sigma

    # The shape: contrasting colour, random size and rotation, fully inside the image.
    shape_colour = _shape_colour(rng, [colour0, colour1 or colour0], _MIN_CONTRAST)
    radius = float(rng.uniform(0.13, 0.30)) * size
    # Upright (a triangle or star points up) give or take _MAX_ROTATION degrees.
    rotation = -math.pi / 2 + math.radians(float(rng.uniform(-_MAX_ROTATION, _MAX_ROTATION)))
    outline = _shape_outline(shape, radius, rotation)
    if outline is None:  # circle
        r = radius * _AREA_SCALE["circle"]
        low, high = (-r, -r), (r, r)
    else:
        xs, ys = zip(*outline)
        low, high = (min(xs), min(ys)), (max(xs), max(ys))
    margin = 1.0
    cx = float(rng.uniform(margin - low[0], size - margin - high[0]))
    cy = float(rng.uniform(margin - low[1], size - margin - high[1]))
    if outline is None:
        geometry = [cx - r, cy - r, cx + r, cy + r]
    else:
        geometry = [(cx + x, cy + y) for x, y in outline]

    behind, on_top = [], []
    if clutter:
        behind = _sample_clutter(
            rng, size, shape_colour,
            n_lines=int(rng.integers(1, 4)),
            n_dots=int(rng.integers(3, 9)),
            n_blobs=int(rng.integers(1, 4)),
        )
        # A few thin distractors over the shape: they cut it but cannot hide it.
        on_top = _sample_clutter(
            rng, size, shape_colour,
            n_lines=int(rng.integers(0, 2)),
            n_dots=int(rng.integers(0, 3)),
            n_blobs=0,
        )
    return _Scene(
        image_size=size,
        background=(colour0, colour1, angle),
        noise=noise,
        behind=behind,
        shape=shape,
        shape_colour=shape_colour,
        shape_geometry=geometry,
        on_top=on_top,
    )


def _scaled(points, k):
    if points and isinstance(points[0], tuple):
        return [(x * k, y * k) for x, y in points]
    return [v * k for v in points]


def _draw_shape(draw, scene, fill, k):
    geometry = _scaled(scene.shape_geometry, k)
    if scene.shape == "circle":
        draw.ellipse(geometry, fill=fill)
    else:
        draw.polygon(geometry, fill=fill)


def _draw_clutter(draw, items, k):
    for kind, points, width, colour in items:
        if kind == "line":
            draw.line(_scaled(points, k), fill=colour, width=max(1, round(width * k)))
        elif kind == "dot":
            draw.ellipse(_scaled(points, k), fill=colour)
        else:
            draw.polygon(_scaled(points, k), fill=colour)


def _draw(scene, with_shape=True):
    """Render `scene` to a uint8 (H, W, 3) array; `with_shape=False` leaves the shape out."""
    k = _SUPERSAMPLE
    big = scene.image_size * k
    colour0, colour1, angle = scene.background
    if colour1 is None:
        background = np.broadcast_to(np.asarray(colour0, dtype=np.float32), (big, big, 3))
    else:
        # Position along the gradient direction, 0 at one corner and 1 at the opposite one.
        coords = (np.arange(big, dtype=np.float32) + 0.5) / big
        t = math.cos(angle) * coords[None, :] + math.sin(angle) * coords[:, None]  # (big, big)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        c0 = np.asarray(colour0, dtype=np.float32)
        c1 = np.asarray(colour1, dtype=np.float32)
        background = c0 + t[:, :, None] * (c1 - c0)  # (big, big, 3)
    canvas = Image.fromarray(np.round(background).astype(np.uint8), mode="RGB")
    draw = ImageDraw.Draw(canvas)
    _draw_clutter(draw, scene.behind, k)
    if with_shape:
        _draw_shape(draw, scene, scene.shape_colour, k)
    _draw_clutter(draw, scene.on_top, k)
    small = np.asarray(canvas.reduce(k), dtype=np.float32)  # box average: (H, W, 3)
    return np.clip(np.round(small + scene.noise), 0, 255).astype(np.uint8)


def _shape_bbox(scene):
    """Tight (x0, y0, x1, y1) of every final pixel the shape touches; x1, y1 exclusive."""
    k = _SUPERSAMPLE
    mask = Image.new("L", (scene.image_size * k,) * 2, 0)
    _draw_shape(ImageDraw.Draw(mask), scene, 255, k)
    return tuple(int(v) for v in mask.reduce(k).getbbox())


def _check_image_size(image_size):
    if (
        isinstance(image_size, bool)
        or not isinstance(image_size, numbers.Integral)
        or image_size < MIN_IMAGE_SIZE
    ):
        raise arg_error(
            "image_size", image_size, f"an integer of at least {MIN_IMAGE_SIZE}",
            "Smaller images leave the shapes only a few pixels wide; try image_size=64.",
        )
    return int(image_size)


def render_shape(shape, rng, image_size=64, clutter=True):
    """Draw one image of one shape, with a random background and clutter.

    The shape gets a random position (always fully inside the image), size,
    colour and a tilt of up to 25 degrees from upright; it is always clearly
    darker or clearly brighter than its whole background. The background is a
    flat colour or a gentle linear gradient, often with pixel noise. All shapes
    cover about the same area at the same size, so pixel counts give no clue.
    With `clutter=True`, distractor lines, dots and small irregular blobs are
    drawn behind the shape and a few thin ones over it.
    Drawing happens at 4x the size and is box-averaged down (anti-aliasing).

    Args:
        shape: one of `SHAPES`, e.g. `"circle"`.
        rng: a `numpy.random.Generator` (or an integer seed for one); every
            random choice is drawn from it, so the same generator state gives
            the same image.
        image_size: side of the square image in pixels, at least 16.
        clutter: whether to add distractors.

    Returns:
        `(image, bbox)`: `image` is a uint8 array of shape
        `(image_size, image_size, 3)`; `bbox = (x0, y0, x1, y1)` is the tight
        box of the pixels the shape touches, end-exclusive like a slice:
        `image[y0:y1, x0:x1]` holds the whole shape.

    Raises:
        ValueError: for an unknown shape, a non-generator `rng`, or
            `image_size` below 16.

    Example:

    >>> import numpy as np
    >>> image, bbox = render_shape("star", np.random.default_rng(0), image_size=32)
    >>> image.shape, image.dtype
    ((32, 32, 3), dtype('uint8'))
    >>> x0, y0, x1, y1 = bbox
    >>> 0 <= x0 < x1 <= 32 and 0 <= y0 < y1 <= 32
    True
    """
    check_choice("shape", shape, SHAPES)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        rng = np.random.default_rng(int(rng))
    if not isinstance(rng, np.random.Generator):
        raise arg_error(
            "rng", rng, "a numpy.random.Generator or a non-negative integer seed",
            "Create one with numpy.random.default_rng(seed).",
        )
    image_size = _check_image_size(image_size)
    clutter = check_bool("clutter", clutter)
    scene = _sample_scene(shape, rng, image_size, clutter)
    return _draw(scene), _shape_bbox(scene)


# ---------------------------------------------------------------------------
# Many images: in memory and on disk
# ---------------------------------------------------------------------------


def _check_class_names(class_names):
    if isinstance(class_names, str):
        raise arg_error(
            "class_names", class_names, "a list of shape names, not a single string",
            f"Write class_names=[{class_names!r}, ...].",
        )
    try:
        names = tuple(class_names)
    except TypeError:
        raise arg_error("class_names", class_names, "a list of shape names") from None
    valid = ", ".join(repr(s) for s in SHAPES)
    if len(names) < 2:
        raise arg_error(
            "class_names", class_names, "a list of at least 2 shape names",
            f"Choose from {valid}.",
        )
    for name in names:
        if name not in SHAPES:
            raise arg_error(
                "class_names", class_names, f"a list of names from {valid}",
                f"{name!r} is not a shape this generator can draw.",
            )
    if len(set(names)) != len(names):
        raise arg_error("class_names", class_names, "a list of distinct shape names")
    return names


def _check_counts(counts):
    if counts is None:
        return dict(DEFAULT_COUNTS)
    if not hasattr(counts, "items") or not counts:
        raise arg_error(
            "counts", counts, "a non-empty dict mapping split name to images per class",
            'For example counts={"train": 150, "validation": 75, "test": 75}.',
        )
    checked = {}
    for split, n in counts.items():
        if (
            not isinstance(split, str)
            or not split
            or split.startswith(".")
            or any(c in split for c in '/\\:')
            or split == MANIFEST_NAME
        ):
            raise arg_error(
                "counts", counts, "a dict whose keys are plain folder names such as 'train'",
                f"{split!r} cannot be used as a folder name.",
            )
        checked[split] = check_positive_int(f"counts[{split!r}]", n)
    return checked


def _key(text):
    """A stable 32-bit number for a name, used to give each split and class its own stream."""
    return zlib.crc32(text.encode("utf-8"))


def _image_rng(seed, split, class_name, index):
    """The random stream of one image: disjoint for every (seed, split, class, index)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(_key(split), _key(class_name), index))
    return np.random.default_rng(sequence)


def make_shapes_arrays(
    n_per_class, image_size=64, class_names=DEFAULT_CLASSES, seed=0, clutter=True, *, split="train"
):
    """Generate shape images in memory (no files), ordered class by class.

    Image `i` of class `c` is drawn from its own random stream derived from
    `(seed, split, c, i)`, so the result does not depend on `n_per_class` or on
    the other classes: the first 3 images of `make_shapes_arrays(5)` equal
    those of `make_shapes_arrays(3)`, and `make_shapes_arrays(n, seed=s)` holds
    exactly the pixels of the `train` split written by
    `make_shapes_dataset(..., seed=s)`.

    Args:
        n_per_class: images per class, a positive integer.
        image_size: side of the square images in pixels, at least 16.
        class_names: shapes to draw, in label order (label `i` is
            `class_names[i]`); names from `SHAPES`.
        seed: non-negative integer; the same seed gives the same arrays.
        clutter: whether to add distractor lines, dots and blobs.
        split: name of the random stream; `"validation"` or `"test"` give the
            images of those splits of `make_shapes_dataset`.

    Returns:
        `(images, labels, bboxes)`: uint8 `(N, H, W, 3)`, int64 `(N,)` and
        int64 `(N, 4)` arrays with `N = n_per_class * len(class_names)`; each
        bbox is `(x0, y0, x1, y1)`, end-exclusive (see `render_shape`).

    Raises:
        ValueError: for a bad argument (the message says which and why).

    Example:

    >>> images, labels, bboxes = make_shapes_arrays(2, image_size=32, class_names=["circle", "star"])
    >>> images.shape, labels.tolist(), bboxes.shape
    ((4, 32, 32, 3), [0, 0, 1, 1], (4, 4))
    """
    n_per_class = check_positive_int("n_per_class", n_per_class)
    image_size = _check_image_size(image_size)
    class_names = _check_class_names(class_names)
    seed = check_seed(seed)
    clutter = check_bool("clutter", clutter)
    if not isinstance(split, str) or not split:
        raise arg_error("split", split, "a non-empty string such as 'train'")
    n = n_per_class * len(class_names)
    images = np.empty((n, image_size, image_size, 3), dtype=np.uint8)  # (N, H, W, 3)
    labels = np.empty((n,), dtype=np.int64)
    bboxes = np.empty((n, 4), dtype=np.int64)
    for label, name in enumerate(class_names):
        for i in range(n_per_class):
            j = label * n_per_class + i
            scene = _sample_scene(name, _image_rng(seed, split, name, i), image_size, clutter)
            images[j] = _draw(scene)
            labels[j] = label
            bboxes[j] = _shape_bbox(scene)
    return images, labels, bboxes


# ---------------------------------------------------------------------------
# Safe writing: never touch a folder we did not write ourselves
# ---------------------------------------------------------------------------


def _config(image_size, class_names, counts, seed, clutter):
    """Check every argument and return the config as it is stored in the manifest."""
    return {
        "image_size": _check_image_size(image_size),
        "class_names": list(_check_class_names(class_names)),
        "counts": _check_counts(counts),
        "seed": check_seed(seed),
        "clutter": check_bool("clutter", clutter),
    }


def _check_directory(directory):
    if not isinstance(directory, (str, os.PathLike)) or not str(directory):
        raise arg_error("directory", directory, "a folder path (str or pathlib.Path)")
    return pathlib.Path(directory).expanduser().absolute()


@dataclasses.dataclass
class _FolderState:
    kind: str  # "missing", "not_a_folder", "empty", "ours" or "foreign"
    offending: str = None  # for "foreign": one entry we did not write
    manifest: dict = None  # for "ours"
    complete: bool = False  # for "ours": every listed file is present


def _read_manifest(path):
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("generator") != GENERATOR:
        return None
    records = manifest.get("records")
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and isinstance(r.get("path"), str) for r in records
    ):
        return None
    return manifest


def _inspect(directory):
    """Classify `directory`: may we write there, and is it already our output?"""
    if not os.path.lexists(directory):
        return _FolderState("missing")
    if directory.is_symlink() or not directory.is_dir():
        return _FolderState("not_a_folder", offending=directory.name)
    entries = []  # (relative posix path, is_dir, is_symlink), sorted for a stable message
    for root, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        base = pathlib.Path(root)
        for name in dirnames:
            entries.append(((base / name).relative_to(directory).as_posix(), True,
                            (base / name).is_symlink()))
        for name in sorted(filenames):
            entries.append(((base / name).relative_to(directory).as_posix(), False,
                            (base / name).is_symlink()))
    if not entries:
        return _FolderState("empty")
    manifest_path = directory / MANIFEST_NAME
    if manifest_path.is_symlink() or not manifest_path.is_file():
        return _FolderState("foreign", offending=entries[0][0])
    manifest = _read_manifest(manifest_path)
    if manifest is None:
        return _FolderState("foreign", offending=MANIFEST_NAME)
    listed = {r["path"] for r in manifest["records"]}
    folders = {p.as_posix() for path in listed for p in pathlib.PurePosixPath(path).parents}
    present = set()
    for rel, is_dir, is_link in entries:
        ours = rel in folders if is_dir else (rel in listed or rel == MANIFEST_NAME)
        if is_link or not ours:
            return _FolderState("foreign", offending=rel)
        if not is_dir:
            present.add(rel)
    return _FolderState("ours", manifest=manifest, complete=listed <= present)


def _matches(state, config):
    return (
        state.kind == "ours"
        and state.complete
        and state.manifest.get("version") == GENERATOR_VERSION
        and state.manifest.get("config") == config
    )


def _refuse(directory, state):
    if state.kind == "not_a_folder":
        return FileExistsError(
            f"Cannot write the shapes dataset to {directory}: it exists and is not a folder. "
            "Choose another directory."
        )
    return FileExistsError(
        f"Cannot write the shapes dataset to {directory}: the folder is not empty and holds "
        f"{state.offending!r}, which make_shapes_dataset did not write (it is not listed in "
        f"a {MANIFEST_NAME} of this generator). make_shapes_dataset never modifies or deletes "
        "your files: choose another directory, or empty this one yourself."
    )


def dataset_exists(
    directory, *, image_size=64, class_names=DEFAULT_CLASSES, counts=None, seed=0, clutter=True
):
    """Return True if `directory` already holds this exact shapes dataset.

    True means `make_shapes_dataset` with the same arguments would return at
    once without writing anything: the folder holds a complete output of this
    generator (same version), made with the same configuration, and nothing
    else. Reads only the manifest and the folder listing, not the images.

    Args:
        directory: folder to look at.
        image_size, class_names, counts, seed, clutter: as in
            `make_shapes_dataset`.

    Returns:
        bool.

    Raises:
        ValueError: for a bad argument.

    Example:

    >>> dataset_exists("/nonexistent/shapes")
    False
    """
    config = _config(image_size, class_names, counts, seed, clutter)
    return _matches(_inspect(_check_directory(directory)), config)


def _write_png(image, path):
    Image.fromarray(image, mode="RGB").save(path, format="PNG")


def _write_dataset(root, config, verbose):
    """Write every split and then the manifest into the (new, empty) folder `root`."""
    records = []
    for split, n in config["counts"].items():
        start = time.perf_counter()
        for label, name in enumerate(config["class_names"]):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                rng = _image_rng(config["seed"], split, name, i)
                scene = _sample_scene(name, rng, config["image_size"], config["clutter"])
                relative = f"{split}/{name}/{name}_{i:05d}.png"
                _write_png(_draw(scene), root / relative)
                records.append({
                    "path": relative,
                    "split": split,
                    "class": name,
                    "label": label,
                    "bbox": list(_shape_bbox(scene)),
                })
        if verbose:
            total = n * len(config["class_names"])
            print(f"  {split}: {total} images ({n} per class) in {time.perf_counter() - start:.1f} s",
                  flush=True)
    header = json.dumps(
        {"generator": GENERATOR, "version": GENERATOR_VERSION, "config": config}, indent=2
    )
    lines = ",\n".join("    " + json.dumps(r) for r in records)
    # One record per line keeps the manifest readable and diffable.
    text = header[:-2] + ',\n  "records": [\n' + lines + "\n  ]\n}\n"
    (root / MANIFEST_NAME).write_text(text, encoding="utf-8")


def _swap_into_place(new, directory):
    """Move the finished folder `new` to `directory`; remove our old output only afterwards."""
    state = _inspect(directory)  # again: the folder may have changed while we were writing
    if state.kind in ("foreign", "not_a_folder"):
        raise _refuse(directory, state)
    if state.kind == "missing":
        os.rename(new, directory)
        return
    if state.kind == "empty":
        os.rmdir(directory)
        os.rename(new, directory)
        return
    old = directory.with_name(f".{directory.name}.old-{secrets.token_hex(4)}")
    os.rename(directory, old)
    try:
        os.rename(new, directory)
    except BaseException:
        os.rename(old, directory)
        raise
    shutil.rmtree(old)


def make_shapes_dataset(
    directory,
    *,
    image_size=64,
    class_names=DEFAULT_CLASSES,
    counts=None,
    seed=0,
    clutter=True,
    verbose=True,
):
    """Write the shapes dataset as PNG folders, one folder per split and class.

    The layout is the same as the book's cats-vs-dogs example::

        directory/train/circle/circle_00000.png ...
        directory/validation/...
        directory/test/...
        directory/manifest.json

    `manifest.json` holds the generator name and version, the configuration
    and one record per image: `path` (relative, with `/`), `split`, `class`,
    `label` (index into `class_names`) and `bbox` (`[x0, y0, x1, y1]`,
    end-exclusive, see `render_shape`). The same arguments always give
    byte-identical files, and the splits use disjoint random streams.

    Your files are safe: the function writes only into a folder that is
    missing, empty, or holds an earlier output of this function (a manifest,
    and nothing that the manifest does not list). If that earlier output has
    the same configuration it returns at once without writing; otherwise it
    replaces it. Everything is first written to a hidden sibling folder
    (`.<name>.tmp-*`) and renamed into place when complete, so an interrupted
    run never leaves a half-written dataset at `directory`; a run killed
    outright may leave that hidden folder behind, which you can delete.

    Args:
        directory: folder to write (str or `pathlib.Path`); its parent
            folders are created if needed.
        image_size: side of the square RGB images in pixels, at least 16.
        class_names: shapes to draw, in label order; names from `SHAPES`.
        counts: dict mapping split name to images per class; default
            `DEFAULT_COUNTS` (250 train, 100 validation, 100 test).
        seed: non-negative integer.
        clutter: whether to add distractor lines, dots and blobs.
        verbose: print one progress line per split.

    Returns:
        The dataset's root folder, as an absolute `pathlib.Path`.

    Raises:
        FileExistsError: `directory` holds something this function did not
            write; the message names one such file.
        ValueError: for a bad argument.

    Example:

    >>> import tempfile, pathlib
    >>> root = make_shapes_dataset(
    ...     pathlib.Path(tempfile.mkdtemp()) / "shapes", image_size=32,
    ...     counts={"train": 2, "test": 1}, verbose=False)
    >>> sorted(p.name for p in root.iterdir())
    ['manifest.json', 'test', 'train']
    >>> len(list(root.glob("train/*/*.png")))
    8
    >>> import shutil; shutil.rmtree(root.parent)
    """
    config = _config(image_size, class_names, counts, seed, clutter)
    directory = _check_directory(directory)
    state = _inspect(directory)
    if _matches(state, config):
        if verbose:
            print(f"Shapes dataset already in {directory} (same configuration): nothing to do.", flush=True)
        return directory
    if state.kind in ("foreign", "not_a_folder"):
        raise _refuse(directory, state)

    if verbose:
        action = "Replacing the shapes dataset in" if state.kind == "ours" else "Writing shapes dataset to"
        print(f"{action} {directory}", flush=True)
    directory.parent.mkdir(parents=True, exist_ok=True)
    new = directory.with_name(f".{directory.name}.tmp-{secrets.token_hex(4)}")
    new.mkdir()  # unlike tempfile.mkdtemp, keeps the user's umask (mkdtemp gives 0700)
    try:
        _write_dataset(new, config, verbose)
        if _matches(_inspect(directory), config):
            # Another process (a second grading job, say) finished the same dataset meanwhile: keep
            # theirs, which someone may be reading already.
            shutil.rmtree(new)
            return directory
        _swap_into_place(new, directory)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return directory
