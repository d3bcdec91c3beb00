"""Hand-made image filters (edges, blur, sharpen) and a plot of what a kernel does to an image."""

import numpy as np

from cnn_course import convolution
from cnn_course._validation import arg_error, check_positive_int


def _kernel(rows):
    array = np.array(rows, dtype=float)
    array.flags.writeable = False  # shared module data: use get_kernel for a copy
    return array


_BINOMIAL_3 = np.array([1.0, 2.0, 1.0])

# Sign convention: the kernels are written for cross-correlation (what
# `apply_kernel` does by default, and what Conv2D does), so "sobel_x" gives a
# positive response where brightness increases from left to right, and
# "sobel_y" where it increases from top to bottom. With these signs
# sobel_x is exactly the transpose of sobel_y (and vertical_edge of horizontal_edge).

#: Named 3x3 kernels, read-only float arrays (`get_kernel` returns a copy).
KERNELS = {
    "identity": _kernel([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "vertical_edge": _kernel([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "horizontal_edge": _kernel([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    "sobel_x": _kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel_y": _kernel([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "laplacian": _kernel([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "sharpen": _kernel([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "box_blur": _kernel(np.full((3, 3), 1.0 / 9.0)),
    "gaussian_blur": _kernel(np.outer(_BINOMIAL_3, _BINOMIAL_3) / 16.0),
}

#: One line per kernel in `KERNELS`: what it does to an image.
KERNEL_DESCRIPTIONS = {
    "identity": "Copies the image: each output pixel is the centre input pixel.",
    "vertical_edge": "Right column minus left column: lights up vertical edges.",
    "horizontal_edge": "Bottom row minus top row: lights up horizontal edges.",
    "sobel_x": "vertical_edge with the centre row counted twice, which smooths noise along the edge.",
    "sobel_y": "horizontal_edge with the centre column counted twice; the transpose of sobel_x.",
    "laplacian": "Four neighbours minus four times the centre: edges and spots in every direction.",
    "sharpen": "The image minus its Laplacian: exaggerates how a pixel differs from its neighbours.",
    "box_blur": "The plain mean of the 3x3 neighbourhood: a simple blur.",
    "gaussian_blur": "A 1-2-1 binomial weighted mean (a small Gaussian): a softer blur than box_blur.",
}

#: ITU-R BT.601 luma weights for red, green and blue.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def get_kernel(name):
    """Return a copy of the named kernel from `KERNELS`.

    Args:
        name: one of the keys of `KERNELS`, e.g. `"sobel_x"`.

    Returns:
        A writable float array of shape `(3, 3)`.

    Raises:
        ValueError: for an unknown name; the message lists the valid names.

    Example:

    >>> from cnn_course.filters import get_kernel
    >>> get_kernel("vertical_edge")
    array([[-1.,  0.,  1.],
           [-1.,  0.,  1.],
           [-1.,  0.,  1.]])
    """
    if not isinstance(name, str) or name not in KERNELS:
        listed = ", ".join(repr(k) for k in KERNELS)
        raise arg_error("kernel", name, f"one of {listed}", "Or pass your own 2-D array")
    return KERNELS[name].copy()


def to_grayscale(image):
    """Turn an image into one float channel in [0, 1].

    RGB is combined with the ITU-R BT.601 luma weights
    `0.299 R + 0.587 G + 0.114 B`. uint8 images are divided by 255; float
    images are taken to be in [0, 1] already and are not rescaled.

    Args:
        image: `(H, W)`, `(H, W, 1)` or `(H, W, 3)`; uint8 in [0, 255] or
            float in [0, 1].

    Returns:
        A float array of shape `(H, W)`.

    Raises:
        ValueError: for any other shape.

    Example:

    >>> import numpy as np
    >>> from cnn_course.filters import to_grayscale
    >>> to_grayscale(np.full((1, 2, 3), 255, dtype="uint8"))  # white stays 1.0
    array([[1., 1.]])
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 3)):
        raise arg_error(
            "image", f"an array of shape {image.shape}", "shaped (H, W), (H, W, 1) or (H, W, 3)",
            describe=True,
        )
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    image = image.astype(float) / scale
    if image.ndim == 3:
        image = image @ np.array(LUMA_WEIGHTS)  # (H, W, 3) -> (H, W)
    return image


def _as_kernel(kernel):
    """A kernel name or a 2-D array -> (float array, label for plots)."""
    if isinstance(kernel, str):
        return get_kernel(kernel), kernel
    array = np.asarray(kernel, dtype=float)
    if array.ndim != 2:
        raise arg_error("kernel", f"an array of shape {array.shape}", "a kernel name or a 2-D array", describe=True)
    return array, "custom"


def apply_kernel(image, kernel, padding="same", flip=False):
    """Filter a (grayscale) image with one kernel, as a single-filter conv layer would.

    Args:
        image: `(H, W)`, `(H, W, 1)` or RGB `(H, W, 3)`, uint8 or float in
            [0, 1]; colour images are converted with `to_grayscale` first.
        kernel: a name from `KERNELS` or a 2-D array.
        padding: `"same"` (output as large as the input), `"valid"`,
            `"full"` or an int, as in `convolution.cross_correlate2d`.
        flip: False (default) slides the kernel as written (cross-correlation,
            as Conv2D does); True flips it first (true convolution).

    Returns:
        The feature map, a 2-D float array.

    Raises:
        ValueError: for an unknown kernel name or a badly shaped image/kernel.

    Example:

    >>> import numpy as np
    >>> from cnn_course.filters import apply_kernel
    >>> image = np.zeros((4, 4)); image[:, 2:] = 1.0  # dark left half, bright right half
    >>> apply_kernel(image, "vertical_edge", padding="valid")
    array([[3., 3.],
           [3., 3.]])
    """
    gray = to_grayscale(image)  # (H, W)
    k, _ = _as_kernel(kernel)
    if flip:
        return convolution.convolve2d(gray, k, padding=padding)
    return convolution.cross_correlate2d(gray, k, padding=padding)


def edge_test_image(size=32):
    """A dark image with a bright square in the middle: four clean edges to detect.

    Args:
        size: height and width in pixels (at least 8).

    Returns:
        A float array `(size, size)`: 0.0 outside the square, 1.0 inside. The
        square spans rows and columns `size // 4` to `3 * size // 4 - 1`.

    Raises:
        ValueError: if `size` is smaller than 8.

    Example:

    >>> from cnn_course.filters import edge_test_image
    >>> image = edge_test_image(8)
    >>> image[3].tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """
    size = check_positive_int("size", size)
    if size < 8:
        raise arg_error("size", size, "at least 8", "A smaller image has no room for a square")
    image = np.zeros((size, size))
    image[size // 4:3 * size // 4, size // 4:3 * size // 4] = 1.0
    return image


def _format_weight(value):
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}"  # 1/9 -> "0.111", 1/16 -> "0.0625"


def show_convolution(image, kernel, ax=None, title=None, padding="same", flip=False):
    """Show an image, a kernel and the feature map it produces, side by side.

    The kernel is drawn as a small heat map with each weight written in its
    cell, so that the numbers can be matched with the effect.

    Args:
        image: as for `apply_kernel` (RGB is shown in grayscale).
        kernel: a name from `KERNELS` or a 2-D array.
        ax: None for a new figure with three panels, or a sequence of three
            Axes (input, kernel, feature map).
        title: optional title for the whole figure.
        padding: passed to `apply_kernel`.
        flip: passed to `apply_kernel`.

    Returns:
        The matplotlib Figure.

    Raises:
        ValueError: if `ax` is not three Axes, or as `apply_kernel`.

    Example:

    >>> from cnn_course.filters import edge_test_image, show_convolution
    >>> fig = show_convolution(edge_test_image(16), "sobel_x")
    >>> len(fig.axes)
    3
    """
    gray = to_grayscale(image)  # (H, W)
    k, label = _as_kernel(kernel)
    feature_map = apply_kernel(gray, k, padding=padding, flip=flip)  # (H', W')
    if ax is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
    else:
        axes = list(np.ravel(ax))
        if len(axes) != 3:
            raise arg_error("ax", f"{len(axes)} Axes", "a sequence of 3 Axes (input, kernel, feature map)",
                            describe=True)
        fig = axes[0].figure
    ax_in, ax_k, ax_out = axes

    ax_in.imshow(gray, cmap="gray", vmin=0.0, vmax=max(1.0, float(gray.max())), interpolation="nearest")
    ax_in.set_title(f"input {gray.shape[0]}x{gray.shape[1]}")

    limit = max(float(np.abs(k).max()), 1e-12)
    ax_k.imshow(k, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    for (row, col), value in np.ndenumerate(k):
        colour = "white" if abs(value) > 0.6 * limit else "black"
        ax_k.text(col, row, _format_weight(value), ha="center", va="center", color=colour, fontsize=9)
    ax_k.set_title(f"kernel: {label} {k.shape[0]}x{k.shape[1]}" + (" (flipped)" if flip else ""))

    if feature_map.min() < 0 < feature_map.max():  # signed response: diverging colours, 0 is white
        bound = float(np.abs(feature_map).max())
        ax_out.imshow(feature_map, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest")
    else:
        ax_out.imshow(feature_map, cmap="gray", interpolation="nearest")
    ax_out.set_title(f"feature map {feature_map.shape[0]}x{feature_map.shape[1]}")

    for axis in axes:
        axis.set_xticks([])
        axis.set_yticks([])
    if title:
        fig.suptitle(title)
        fig.tight_layout(rect=(0, 0, 1, 0.93))  # leave room for the title
    else:
        fig.tight_layout()
    return fig
