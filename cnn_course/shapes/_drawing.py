"""Drawing one image of the course's shapes dataset: a shape on a random background with clutter.

`cnn_course.shapes` builds the dataset from these images (in memory and as
PNG folders); this module only draws. Introduced in `notebooks/00_getting_started`.
"""

import dataclasses
import math
import numbers

import numpy as np
from PIL import Image, ImageDraw

from cnn_course._validation import arg_error, check_bool, check_choice, check_image_size

#: Every shape the generator can draw; a dataset's classes are a subset of these.
#: The ones after "hexagon" were added for the source task that pretrains
#: `cnn_course.shapes_base` (shapes that are not course classes).
SHAPES = (
    "circle", "square", "triangle", "star", "cross", "hexagon",
    "pentagon", "diamond", "trapezoid", "arrow", "heart", "crescent", "ellipse",
)

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

    Coordinates are in final-image pixels (floats); `draw_scene` scales them up.
    """

    image_size: int
    background: tuple  # (colour0, colour1 or None, gradient angle)
    noise: np.ndarray  # (H, W, 3) float, added after downsampling
    behind: list  # clutter drawn before the shape
    shape: str
    shape_colour: tuple
    shape_geometry: list  # polygon vertices, or [x0, y0, x1, y1] for a circle
    on_top: list  # thin clutter drawn over the shape
    extra_shapes: tuple = ()  # (shape, geometry) pairs drawn after the shape, in its colour (grid scenes)


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


def _sample_placement(shape, rng, extent, origin, radius_range=(0.13, 0.30)):
    """Size, tilt and position of one shape, fully inside the square `extent` wide at `origin` (x, y)."""
    radius = float(rng.uniform(*radius_range)) * extent
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
    cx = origin[0] + float(rng.uniform(margin - low[0], extent - margin - high[0]))
    cy = origin[1] + float(rng.uniform(margin - low[1], extent - margin - high[1]))
    if outline is None:
        return [cx - r, cy - r, cx + r, cy + r]
    return [(cx + x, cy + y) for x, y in outline]


def sample_scene(shape, rng, image_size, clutter):
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
    geometry = _sample_placement(shape, rng, size, (0.0, 0.0))

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
    for shape, geometry in ((scene.shape, scene.shape_geometry), *scene.extra_shapes):
        if shape == "circle":
            draw.ellipse(_scaled(geometry, k), fill=fill)
        else:
            draw.polygon(_scaled(geometry, k), fill=fill)


def sample_grid_scene(cells, rng, image_size, clutter):
    """A scene with one shape (or none) in each quarter of the image, over one background.

    `cells` names the shape of the top-left, top-right, bottom-left and
    bottom-right quarter, `None` for an empty one; at least one is a shape.
    Each shape is drawn as in `sample_scene` inside its quarter, a little larger
    for its room (its radius 20-35% of the quarter's side, not 13-30%), so that
    it stays recognisable at half the image's size.
    """
    shapes = [shape for shape in cells if shape is not None]
    scene = sample_scene(shapes[0], rng, image_size, clutter)  # background, colour and clutter
    half = image_size / 2
    placed = [(shape, _sample_placement(shape, rng, half, ((i % 2) * half, (i // 2) * half), (0.20, 0.35)))
              for i, shape in enumerate(cells) if shape is not None]
    scene.shape, scene.shape_geometry = placed[0]
    scene.extra_shapes = tuple(placed[1:])
    return scene


def _draw_clutter(draw, items, k):
    for kind, points, width, colour in items:
        if kind == "line":
            draw.line(_scaled(points, k), fill=colour, width=max(1, round(width * k)))
        elif kind == "dot":
            draw.ellipse(_scaled(points, k), fill=colour)
        else:
            draw.polygon(_scaled(points, k), fill=colour)


def draw_scene(scene, with_shape=True):
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


def shape_mask(scene):
    """(H, W) bool: the final pixels at least half covered by the scene's shapes."""
    k = _SUPERSAMPLE
    mask = Image.new("L", (scene.image_size * k,) * 2, 0)
    _draw_shape(ImageDraw.Draw(mask), scene, 255, k)
    return np.asarray(mask.reduce(k)) >= 128


def shape_bbox(scene):
    """Tight (x0, y0, x1, y1) of every final pixel the shape touches; x1, y1 exclusive."""
    k = _SUPERSAMPLE
    mask = Image.new("L", (scene.image_size * k,) * 2, 0)
    _draw_shape(ImageDraw.Draw(mask), scene, 255, k)
    return tuple(int(v) for v in mask.reduce(k).getbbox())


def check_drawing_size(image_size):
    return check_image_size(image_size, minimum=MIN_IMAGE_SIZE, pair=False,
                            fix="Smaller images leave the shapes only a few pixels wide; try image_size=64.")


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
    image_size = check_drawing_size(image_size)
    clutter = check_bool("clutter", clutter)
    scene = sample_scene(shape, rng, image_size, clutter)
    return draw_scene(scene), shape_bbox(scene)
