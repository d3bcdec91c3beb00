"""Shared test data: small arrays that the tests of several modules train on."""

import numpy as np
import pytest


def make_blobs(n=64, size=8):
    """Two classes a tiny network separates in a few steps: bright left half vs bright right half.

    Returns:
        `(x, y)`: uint8 images `(n, size, size, 1)` and int labels `(n,)`, 0 and 1 alternating.
    """
    rng = np.random.default_rng(0)
    x = rng.integers(0, 60, (n, size, size, 1)).astype("uint8")
    y = np.arange(n) % 2
    x[y == 0, :, : size // 2] += 150
    x[y == 1, :, size // 2:] += 150
    return x, y


@pytest.fixture
def blobs():
    """The `make_blobs` function, for tests that need two separable classes."""
    return make_blobs
