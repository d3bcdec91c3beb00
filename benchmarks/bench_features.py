"""Seconds per epoch of a classifier trained on cached features against the same head trained through the frozen base.

Usage:
    python benchmarks/bench_features.py              # VGG16 at 150x150, the shapes base at 64x64 (< 1 min, 2 cores)
    python benchmarks/bench_features.py --images 96  # fewer images, quicker

What it prints, for (a) `keras.applications.VGG16(weights=None, include_top=False,
input_shape=(150, 150, 3))` (random weights: they do not change the speed) and (b) the
course's small pretrained base (`cnn_course.shapes_base.load_shapes_base`, 64x64; a
same-architecture stand-in with random weights when it is not available):

1. the one-off time of `transfer.extract_features` (the base runs once over the images);
2. seconds per epoch of the head (`Flatten -> Dense(256) -> Dropout(0.5) -> Dense(1)`)
   trained on the cached features (`transfer.build_feature_classifier`);
3. seconds per epoch of the same head trained through the frozen base
   (`transfer.build_transfer_model`, no augmentation), where every epoch runs the base again;
4. the ratio (target: cached features at least 20x faster per epoch) and the number of
   epochs after which extracting once has paid for itself.

Epoch times are measured by a callback (epoch begin to epoch end) and the first epoch,
which includes tracing the training step, is left out. Timings are never asserted in
tests; this script is where speed claims live.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import cnn_course  # noqa: E402,F401  (before TensorFlow: sets its flags)
import numpy as np  # noqa: E402

from cnn_course import models, settings, transfer  # noqa: E402

keras = settings.import_keras()


class EpochTimer(keras.callbacks.Callback):
    """Record the wall time of every epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def seconds_per_epoch(model, dataset, epochs):
    """Median epoch time after the first epoch (which includes tracing)."""
    models.compile_for_task(model, "binary", optimizer="rmsprop", learning_rate=2e-5)
    timer = EpochTimer()
    model.fit(dataset, epochs=epochs, verbose=0, callbacks=[timer], shuffle=False)
    return statistics.median(timer.seconds[1:])


def batches(x, y, batch_size):
    """Batched, cached, prefetched tf.data pipeline: the same input path for both variants."""
    import tensorflow as tf

    x = x.astype("float32")  # raw pixels 0..255 (the transfer model rescales) or features
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).cache().prefetch(tf.data.AUTOTUNE)


def small_base():
    """The shipped shapes base if it can be loaded, else a same-architecture stand-in."""
    try:
        from cnn_course import shapes_base
    except ImportError:
        shapes_base = None
    if shapes_base is not None:
        try:
            return shapes_base.load_shapes_base(), "shapes base (pretrained, 64x64)"
        except (FileNotFoundError, OSError):
            return shapes_base.build_shapes_base(), "shapes base (random weights, 64x64)"
    inputs = keras.Input((64, 64, 3))
    x = inputs
    for i, filters in enumerate((32, 64, 128), start=1):
        x = keras.layers.Conv2D(filters, 3, activation="relu", name=f"block{i}_conv1")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    return keras.Model(inputs, x, name="shapes_base_standin"), "3-block stand-in (random weights, 64x64)"


def measure(label, base, n_images, batch_size, frozen_epochs, cached_epochs):
    size = base.input_shape[1:]
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n_images, *size), dtype="uint8")  # (n, height, width, channels)
    labels = (np.arange(n_images) % 2).astype("float32")

    transfer.clear_memory_cache()
    features, info = transfer.extract_features(base, images, batch_size=batch_size, cache=False,
                                               return_info=True)
    extraction = info.seconds

    keras.utils.set_random_seed(0)
    cached = seconds_per_epoch(transfer.build_feature_classifier(features.shape[1:], task="binary"),
                               batches(features, labels, batch_size), cached_epochs)
    keras.utils.set_random_seed(0)
    frozen = seconds_per_epoch(transfer.build_transfer_model(base, task="binary"),
                               batches(images, labels, batch_size), frozen_epochs)
    ratio = frozen / cached
    break_even = extraction / (frozen - cached) if frozen > cached else float("inf")
    print(f"\n{label}: {n_images} images {size}, features {features.shape[1:]} "
          f"({features.nbytes / 2**20:.1f} MiB)")
    print(f"  one-off feature extraction        {extraction:8.3f} s")
    print(f"  head on cached features           {cached:8.4f} s/epoch")
    print(f"  head through the frozen base      {frozen:8.3f} s/epoch")
    print(f"  ratio                             {ratio:8.1f}x faster per epoch with cached features "
          f"({'meets' if ratio >= 20 else 'MISSES'} the 20x target)")
    print(f"  extraction pays for itself after  {break_even:8.2f} epochs")
    if ratio < 20:
        # One epoch through the frozen base costs about one extraction plus one head epoch,
        # so caching cannot win more than this, however fast the cache is.
        print(f"  bound: (extraction + head) / head = {(extraction + cached) / cached:.1f}x: the base is "
              "cheap next to its Dense(256) head, so there is little to save by caching")
    return ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=192, help="number of random images (default 192)")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    measure("(a) VGG16 conv base (weights=None)", vgg, args.images, args.batch_size,
            frozen_epochs=3, cached_epochs=8)
    base, label = small_base()
    measure(f"(b) {label}", base, args.images, args.batch_size, frozen_epochs=6, cached_epochs=8)
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
