"""What the benchmarks print next to every time: this machine's CPU and float32 matmul speed."""

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
