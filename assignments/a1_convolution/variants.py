"""Submissions that test A1's checks: wrong answers with the checks each must fail, and correct variants.

Each variant is a list of (old, new) text replacements on the reference
submission (the master without its check cells); each `old` occurs exactly
once there. `cnn_course.grading.write_samples` writes them out, and
grading them must give exactly the points it expects.
"""

# The reference's solution blocks, replaced whole by several variants.
CONV2D_BODY = """\
    kh, kw, _, n_filters = kernels.shape
    x_padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))  # (H + 2p, W + 2p, C)
    out_h = (x_padded.shape[0] - kh) // stride + 1
    out_w = (x_padded.shape[1] - kw) // stride + 1
    y = np.zeros((out_h, out_w, n_filters), dtype=np.result_type(x, kernels, bias))
    for i in range(out_h):
        for j in range(out_w):
            window = x_padded[i * stride:i * stride + kh, j * stride:j * stride + kw, :]  # (kh, kw, C)
            for f in range(n_filters):
                y[i, j, f] = np.sum(window * kernels[:, :, :, f]) + bias[f]
    return y
"""

POOL_BODY = """\
    out_h = (x.shape[0] - pool_size) // stride + 1
    out_w = (x.shape[1] - pool_size) // stride + 1
    y = np.zeros((out_h, out_w, x.shape[2]), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]  # (p, p, C)
            y[i, j, :] = window.max(axis=(0, 1))  # one maximum per channel
    return y
"""

# Vectorised: every window at once with sliding_window_view, one einsum for all filters.
CONV2D_VECTORISED = """\
    kh, kw = kernels.shape[:2]
    padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))  # (.., .., C, kh, kw)
    windows = windows[::stride, ::stride]
    return np.einsum("ijcmn,mncf->ijf", windows, kernels) + bias
"""

POOL_VECTORISED = """\
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool_size, pool_size), axis=(0, 1))
    return windows[::stride, ::stride].max(axis=(3, 4))
"""

# Other loops and other names: one loop per kernel cell, every position at once, float64 output.
CONV2D_KERNEL_CELLS = """\
    height, width, _, count = kernels.shape
    padded = np.pad(x, [(padding, padding), (padding, padding), (0, 0)])
    rows = (padded.shape[0] - height) // stride + 1
    cols = (padded.shape[1] - width) // stride + 1
    result = np.zeros((rows, cols, count)) + bias
    for m in range(height):
        for n in range(width):
            shifted = padded[m:m + stride * (rows - 1) + 1:stride, n:n + stride * (cols - 1) + 1:stride, :]
            result += shifted @ kernels[m, n]  # (rows, cols, C) @ (C, F)
    return result
"""

POOL_KERNEL_CELLS = """\
    rows = (x.shape[0] - pool_size) // stride + 1
    cols = (x.shape[1] - pool_size) // stride + 1
    best = np.full((rows, cols, x.shape[2]), -np.inf)
    for a in range(pool_size):
        for b in range(pool_size):
            best = np.maximum(best, x[a:a + stride * (rows - 1) + 1:stride, b:b + stride * (cols - 1) + 1:stride])
    return best
"""

# Right numbers, but SciPy slides the kernel.
CONV2D_SCIPY = """\
    x_padded = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))
    maps = [correlate(x_padded, kernels[:, :, :, f], mode="valid")[::stride, ::stride, 0] + bias[f]
            for f in range(kernels.shape[3])]
    return np.stack(maps, axis=-1)
"""

VARIANTS = [
    # ---- wrong answers -------------------------------------------------------------------------
    {"name": "output_size_forgets_plus_one", "kind": "wrong",
     "replace": [("    return (n - k + 2 * padding) // stride + 1\n", "    return (n - k + 2 * padding) // stride\n")],
     "fails": ["q1.output_size_examples", "q1.output_size_many_cases"]},
    {"name": "output_size_true_division", "kind": "wrong",
     "replace": [("    return (n - k + 2 * padding) // stride + 1\n",
                  "    return (n - k + 2 * padding) / stride + 1\n")],
     "fails": ["q1.output_size_examples", "q1.output_size_many_cases"]},
    {"name": "same_padding_total_not_per_side", "kind": "wrong",
     "replace": [("return (k - 1) // 2  # SOLUTION", "return k - 1  # SOLUTION")],
     "fails": ["q1.same_padding_examples", "q1.same_padding_any_kernel"]},
    {"name": "conv2d_forgets_bias", "kind": "wrong",
     "replace": [("np.sum(window * kernels[:, :, :, f]) + bias[f]", "np.sum(window * kernels[:, :, :, f])")],
     "fails": ["q2.conv2d_channels_and_bias", "q2.conv2d_random_inputs", "q2.conv2d_float32_inputs",
               "q3.convolve_random_inputs"]},
    {"name": "conv2d_pads_one_side", "kind": "wrong",
     "replace": [("np.pad(x, ((padding, padding), (padding, padding), (0, 0)))",
                  "np.pad(x, ((padding, 0), (padding, 0), (0, 0)))")],
     "fails": ["q2.conv2d_output_shapes", "q2.conv2d_random_inputs", "q2.conv2d_float32_inputs",
               "q3.convolve_random_inputs"]},
    {"name": "conv2d_flips_kernel", "kind": "wrong",
     "replace": [("np.sum(window * kernels[:, :, :, f])", "np.sum(window * kernels[::-1, ::-1, :, f])")],
     "fails": ["q2.conv2d_worked_example", "q2.conv2d_channels_and_bias", "q2.conv2d_random_inputs",
               "q2.conv2d_float32_inputs", "q3.convolve_worked_example", "q3.convolve_random_inputs"]},
    {"name": "conv2d_uses_scipy", "kind": "wrong",
     "replace": [("import numpy as np\n", "import numpy as np\nfrom scipy.signal import correlate\n"),
                 (CONV2D_BODY, CONV2D_SCIPY)],
     "fails": ["q2.conv2d_written_by_hand"]},
    {"name": "flip_turns_channels_and_filters_too", "kind": "wrong",
     "replace": [("return kernels[::-1, ::-1]  # SOLUTION", "return np.flip(kernels)  # SOLUTION")],
     "fails": ["q3.flip_example", "q3.convolve_random_inputs"]},
    {"name": "symmetric_includes_sobel", "kind": "wrong",
     "replace": [('symmetric_kernels = {"a", "c"}', 'symmetric_kernels = {"a", "b", "c"}')],
     "fails": ["q3.symmetric_kernels_answer"]},
    {"name": "pool_ignores_stride", "kind": "wrong",
     "replace": [("    if stride is None:\n        stride = pool_size\n", "    stride = pool_size\n")],
     "fails": ["q4.max_pool_shapes_and_channels", "q4.max_pool_random_inputs"]},
    {"name": "pool_over_all_channels", "kind": "wrong",
     "replace": [("y[i, j, :] = window.max(axis=(0, 1))", "y[i, j, :] = window.max()")],
     "fails": ["q4.max_pool_shapes_and_channels", "q4.max_pool_random_inputs"]},
    {"name": "pool_maximum_starts_at_zero", "kind": "wrong",
     "replace": [("y[i, j, :] = window.max(axis=(0, 1))",
                  "y[i, j, :] = np.maximum(y[i, j, :], window.max(axis=(0, 1)))")],
     "fails": ["q4.max_pool_shapes_and_channels", "q4.max_pool_random_inputs"]},
    {"name": "pool_calls_course_reference", "kind": "wrong",
     "replace": [("def max_pool2d(x, pool_size=2, stride=None):\n",
                  "from cnn_course.convolution import pool2d as course_pool\n\n\n"
                  "def max_pool2d(x, pool_size=2, stride=None):\n"),
                 (POOL_BODY, "    return course_pool(x, pool_size, stride, mode='max')\n")],
     "fails": ["q4.max_pool_written_by_hand"]},
    {"name": "dense_params_without_bias", "kind": "wrong",
     "replace": [("return (n_inputs + 1) * units  # SOLUTION", "return n_inputs * units  # SOLUTION")],
     "fails": ["q5.dense_params_examples", "q5.param_counts_many_cases", "q5.dense_vs_conv_answers"]},
    {"name": "conv_params_without_bias", "kind": "wrong",
     "replace": [("return (kh * kw * channels + 1) * filters  # SOLUTION",
                  "return kh * kw * channels * filters  # SOLUTION")],
     "fails": ["q5.conv_params_examples", "q5.param_counts_many_cases", "q5.dense_vs_conv_answers"]},
    {"name": "conv_count_times_image_size", "kind": "wrong",
     "replace": [("conv_count = conv_params(3, 3, 3, 100)", "conv_count = conv_params(3, 3, 3, 100) * 96 * 128")],
     "fails": ["q5.dense_vs_conv_answers"]},
    # ---- correct answers: full marks -----------------------------------------------------------
    {"name": "float64_arithmetic", "kind": "correct",
     "replace": [("dtype=np.result_type(x, kernels, bias))", "dtype=np.float64)"),
                 ("y = np.zeros((out_h, out_w, x.shape[2]), dtype=x.dtype)",
                  "y = np.zeros((out_h, out_w, x.shape[2]), dtype=np.float64)")],
     "fails": []},
    {"name": "vectorised", "kind": "correct",
     "replace": [(CONV2D_BODY, CONV2D_VECTORISED), (POOL_BODY, POOL_VECTORISED),
                 ("return kernels[::-1, ::-1]  # SOLUTION", "return np.flip(kernels, axis=(0, 1))  # SOLUTION"),
                 ("    return (n - k + 2 * padding) // stride + 1\n",
                  "    return int(np.floor((n - k + 2 * padding) / stride)) + 1\n")],
     "fails": []},
    {"name": "loops_over_kernel_cells", "kind": "correct",
     "replace": [(CONV2D_BODY, CONV2D_KERNEL_CELLS), (POOL_BODY, POOL_KERNEL_CELLS),
                 ("return conv2d(x, flip(kernels), bias, padding, stride)  # SOLUTION",
                  "return conv2d(x, kernels[::-1, ::-1, :, :], bias, padding=padding, stride=stride)  # SOLUTION")],
     "fails": []},
    {"name": "answers_typed_in", "kind": "correct",
     "replace": [("dense_count = dense_params(96 * 128 * 3, 100)", "dense_count = 3_686_500"),
                 ("conv_count = conv_params(3, 3, 3, 100)", "conv_count = 2800.0"),
                 ('grows_with_image = "dense"', 'grows_with_image = "Dense "'),
                 ('symmetric_kernels = {"a", "c"}', 'symmetric_kernels = ["C", "A"]'),
                 ("return (k - 1) // 2  # SOLUTION", "return k // 2  # SOLUTION")],
     "fails": []},
]
