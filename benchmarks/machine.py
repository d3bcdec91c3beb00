"""What the benchmarks print next to every time: this machine's CPU, its float32 matmul speed, and how
fast it trains the course's own network (the rate the notebook budgets are scaled by)."""

import platform
import time

import numpy as np


def matmul_gflops(n=2048, repeats=5):
    """This machine's float32 matmul rate through NumPy's BLAS, in GFLOP/s (best of `repeats`)."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = np.random.default_rng(1).random((n, n), dtype=np.float32)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def cpu_name():
    """The CPU's model name (from /proc/cpuinfo on Linux) and whether it has AVX-512."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            text = info.read()
    except OSError:
        return platform.processor() or platform.machine()
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                  if line.startswith("model name")), platform.machine())
    return f"{model}, {'with' if ' avx512f' in text else 'without'} AVX-512"


def course_network_rate(images=1000, batch_size=32, epochs=3):
    """Images per second at which this machine trains the course's network, `models.shapes_convnet`.

    64x64 colour images, 4 classes, batch 32, Adam, from memory (no input pipeline cost): the
    best of `epochs` timed epochs after one untimed epoch that traces the training step. The
    notebooks' time goes into training networks of this kind, bound by memory and per-step
    overhead more than by arithmetic, so this rate predicts their time better than matmul does.
    """
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from cnn_course import data, models
    from cnn_course.reproducibility import set_seed

    set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (images, 64, 64, 3), dtype=np.uint8)
    y = rng.integers(0, 4, images)
    dataset = data.make_dataset(x, y, batch_size=batch_size).cache()
    model = models.compile_for_task(models.shapes_convnet((64, 64, 3), 4), "multiclass")
    model.fit(dataset, epochs=1, verbose=0)  # traces the step; not timed
    best = float("inf")
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(dataset, epochs=1, verbose=0)
        best = min(best, time.perf_counter() - start)
    return images / best
