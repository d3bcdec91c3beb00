"""filters.py: the classic kernels' known properties, grayscale conversion, and the convolution plot."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import signal

from cnn_course import filters
from cnn_course.filters import KERNELS, apply_kernel, edge_test_image, get_kernel, show_convolution, to_grayscale


def test_every_kernel_is_described_and_read_only():
    assert set(KERNELS) == set(filters.KERNEL_DESCRIPTIONS)
    for name, kernel in KERNELS.items():
        assert kernel.ndim == 2 and kernel.dtype == float, name
        assert not kernel.flags.writeable, name
    copy = get_kernel("sobel_x")
    copy[0, 0] = 99.0  # a copy: the shared kernel is untouched
    assert KERNELS["sobel_x"][0, 0] == -1.0


@pytest.mark.parametrize("name", ["identity", "sharpen", "box_blur", "gaussian_blur"])
def test_kernels_that_keep_brightness_sum_to_one(name):
    assert KERNELS[name].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["vertical_edge", "horizontal_edge", "sobel_x", "sobel_y", "laplacian"])
def test_derivative_kernels_sum_to_zero_so_flat_regions_give_zero(name):
    assert KERNELS[name].sum() == pytest.approx(0.0)
    flat = np.full((6, 7), 0.4)
    np.testing.assert_allclose(apply_kernel(flat, name, padding="valid"), 0.0, atol=1e-12)


def test_gaussian_blur_is_the_normalised_binomial_and_separable():
    np.testing.assert_allclose(KERNELS["gaussian_blur"] * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert np.linalg.matrix_rank(KERNELS["gaussian_blur"]) == 1  # outer product of [1, 2, 1]/4


def test_x_kernels_are_the_transposes_of_the_y_kernels():
    # Sign convention (documented in filters.py): x kernels are positive where brightness
    # increases to the right, y kernels where it increases downwards; so x == y.T exactly.
    np.testing.assert_array_equal(KERNELS["sobel_x"], KERNELS["sobel_y"].T)
    np.testing.assert_array_equal(KERNELS["vertical_edge"], KERNELS["horizontal_edge"].T)


def test_sign_convention_bright_to_the_right_gives_positive_sobel_x():
    ramp = np.tile(np.arange(5.0), (5, 1))  # brightness increases left to right
    assert (apply_kernel(ramp, "sobel_x", padding="valid") > 0).all()
    np.testing.assert_allclose(apply_kernel(ramp, "sobel_y", padding="valid"), 0.0)
    np.testing.assert_allclose(apply_kernel(ramp.T, "sobel_y", padding="valid"), 8.0)


def test_vertical_edge_responds_at_a_vertical_boundary_only():
    image = np.zeros((8, 10))
    image[:, 5:] = 1.0  # boundary between columns 4 and 5
    response = apply_kernel(image, "vertical_edge", padding="valid")  # (6, 8): column j is centred on j + 1
    np.testing.assert_allclose(response[:, [3, 4]], 3.0)  # windows straddling the boundary
    np.testing.assert_allclose(np.delete(response, [3, 4], axis=1), 0.0)  # flat regions
    np.testing.assert_allclose(apply_kernel(image, "horizontal_edge", padding="valid"), 0.0)


def test_edges_of_the_test_image_light_up_on_all_four_sides():
    image = edge_test_image(16)  # square over rows/columns 4..11
    assert image.shape == (16, 16) and set(np.unique(image)) == {0.0, 1.0}
    gx = apply_kernel(image, "sobel_x")  # "same": (16, 16)
    gy = apply_kernel(image, "sobel_y")
    assert gx[8, 4] > 0 > gx[8, 11]  # dark -> bright on the left edge, bright -> dark on the right
    assert gy[4, 8] > 0 > gy[11, 8]
    assert gx[8, 8] == 0 and gy[1, 1] == 0  # inside the square and in the background


def test_identity_kernel_returns_the_image_and_blur_keeps_the_mean_inside():
    image = np.random.default_rng(0).random((9, 9))
    np.testing.assert_allclose(apply_kernel(image, "identity"), image)
    blurred = apply_kernel(image, "box_blur", padding="valid")
    assert blurred[3, 3] == pytest.approx(image[3:6, 3:6].mean())


def test_apply_kernel_matches_scipy_and_flip_gives_true_convolution():
    rng = np.random.default_rng(1)
    image, kernel = rng.random((7, 8)), rng.normal(size=(3, 3))
    np.testing.assert_allclose(apply_kernel(image, kernel), signal.correlate2d(image, kernel, mode="same"))
    np.testing.assert_allclose(apply_kernel(image, kernel, flip=True),
                               signal.convolve2d(image, kernel, mode="same"))


def test_to_grayscale_uses_itu_r_601_weights_and_scales_uint8():
    rgb = np.zeros((1, 3, 3), dtype=np.uint8)
    rgb[0, 0, 0] = rgb[0, 1, 1] = rgb[0, 2, 2] = 255  # pure red, green, blue pixels
    np.testing.assert_allclose(to_grayscale(rgb), [[0.299, 0.587, 0.114]])
    np.testing.assert_allclose(to_grayscale(rgb.astype(float) / 255), [[0.299, 0.587, 0.114]])
    gray = np.random.default_rng(2).random((4, 5))
    np.testing.assert_array_equal(to_grayscale(gray), gray)
    np.testing.assert_array_equal(to_grayscale(gray[..., None]), gray)


def test_apply_kernel_on_rgb_equals_apply_kernel_on_its_grayscale():
    rgb = np.random.default_rng(3).integers(0, 256, size=(10, 12, 3), dtype=np.uint8)
    for name in ("sobel_x", "laplacian", "gaussian_blur"):
        np.testing.assert_allclose(apply_kernel(rgb, name), apply_kernel(to_grayscale(rgb), name))


def test_show_convolution_draws_three_panels_with_the_kernel_numbers():
    image = edge_test_image(16)
    fig = show_convolution(image, "sobel_x", title="Sobel x")
    assert len(fig.axes) == 3
    kernel_texts = [t.get_text() for t in fig.axes[1].texts]
    assert kernel_texts == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    assert "sobel_x" in fig.axes[1].get_title()
    # The three panels show the input, the kernel and the feature map: the "same" cross-correlation
    # with the textbook Sobel kernel, computed by scipy.
    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    shown = [np.asarray(axis.images[0].get_array()) for axis in fig.axes]
    np.testing.assert_array_equal(shown[0], image)
    np.testing.assert_array_equal(shown[1], sobel_x)
    np.testing.assert_allclose(shown[2], signal.correlate2d(image, sobel_x, mode="same"), atol=1e-12)
    assert fig._suptitle.get_text() == "Sobel x"
    plt.close(fig)


def test_show_convolution_into_given_axes_writes_fractions():
    fig, axes = plt.subplots(1, 3)
    rgb = np.random.default_rng(4).integers(0, 256, size=(6, 7, 3), dtype=np.uint8)
    out = show_convolution(rgb, "box_blur", ax=axes, padding="valid")
    assert out is fig
    assert [t.get_text() for t in axes[1].texts] == ["0.111"] * 9
    # A colour image is shown and filtered as its ITU-R 601 grey level in [0, 1]; a valid 3x3 box
    # blur is the mean of each 3x3 window.
    grey = rgb @ np.array([0.299, 0.587, 0.114]) / 255.0
    np.testing.assert_allclose(np.asarray(axes[0].images[0].get_array()), grey, atol=1e-12)
    means = np.array([[grey[i:i + 3, j:j + 3].mean() for j in range(5)] for i in range(4)])
    np.testing.assert_allclose(np.asarray(axes[2].images[0].get_array()), means, atol=1e-12)
    plt.close(fig)


def test_errors_name_the_valid_choices():
    with pytest.raises(ValueError, match=r"`kernel` argument must be one of 'identity', .*'gaussian_blur'.*sobel"):
        get_kernel("sobel")
    with pytest.raises(ValueError, match=r"a kernel name or a 2-D array"):
        apply_kernel(np.zeros((5, 5)), np.ones((3, 3, 3)))
    with pytest.raises(ValueError, match=r"shaped \(H, W\), \(H, W, 1\) or \(H, W, 3\)"):
        to_grayscale(np.zeros((4, 4, 4)))
    with pytest.raises(ValueError, match="`size` argument must be at least 8"):
        edge_test_image(4)
    fig, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="a sequence of 3 Axes"):
        show_convolution(np.zeros((5, 5)), "identity", ax=axes)
    plt.close(fig)
