"""A small convolutional base for offline transfer learning, pretrained on shapes that are not the course's classes."""

import hashlib
import json
import os
import pathlib
import time

import numpy as np

from cnn_course._validation import arg_error, check_bool, check_positive_int, check_verbose
from cnn_course._files import atomic_path
from cnn_course.settings import import_keras, import_tensorflow_quietly

#: The fixed input of the base: 64x64 RGB images rescaled to [0, 1] (pixels / 255).
INPUT_SHAPE = (64, 64, 3)

#: Filters of the three conv blocks (3x3 "valid" convolutions, 2x2 max pooling).
FILTERS = (32, 64, 128)

#: The source task's classes: shapes of `cnn_course.shapes.SHAPES` that are *not*
#: course classes (circle, square, triangle, star), so that using the base on the
#: course dataset is real transfer, like ImageNet features used on cats and dogs.
SOURCE_CLASSES = ("cross", "hexagon", "pentagon", "diamond", "trapezoid", "arrow", "heart",
                  "crescent", "ellipse")

#: Random streams of the source images (`make_shapes_arrays(split=...)`): distinct
#: from the course dataset's "train", "validation" and "test".
SOURCE_SPLITS = ("source_train", "source_validation")

#: The configuration that made the shipped weights (`tools/pretrain_shapes_base.py`).
DEFAULT_CONFIG = {
    "source_classes": list(SOURCE_CLASSES),
    "n_per_class": 400,
    "n_validation_per_class": 50,
    "epochs": 10,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "augmentation": {"horizontal_flip": True},
    "seed": 0,
}

WEIGHTS_DIR = pathlib.Path(__file__).resolve().parent / "weights"
#: The shipped weights of the base (the conv layers only, no dense head).
WEIGHTS_PATH = WEIGHTS_DIR / "shapes_base.weights.h5"
#: How the shipped weights were made and how they behave: config, accuracies, machine, versions.
METADATA_PATH = WEIGHTS_DIR / "shapes_base.json"
#: The script that recreates both files.
PRETRAIN_SCRIPT = "tools/pretrain_shapes_base.py"


#: How `transfer_accuracy` measures a base on the course task (recorded in the metadata).
TRANSFER_CHECK = {
    "task": "the 4 course classes of cnn_course.shapes (chance 0.25)",
    "features": "the frozen base's output averaged over its 6x6 positions: 128 values per image",
    "classifier": "StandardScaler + scikit-learn LogisticRegression(C=1.0), no randomness",
    "train": "250 images per class of the course's train split, seed 0",
    "evaluate": "100 images per class of the course's test split, seed 0",
}


def machine_fingerprint():
    """Describe what a trained result depends on besides the code: CPU, instruction sets, versions, threads.

    Training with deterministic ops gives bit-identical weights on one
    machine only: another CPU (other vector instructions, other kernels of
    oneDNN), another thread count or another TensorFlow rounds differently,
    and training grows those differences into a different, equally good
    network. The metadata of the shipped base records this fingerprint, and
    its test compares bits only where the fingerprint is the same.

    Returns:
        A dict of strings, booleans and integers: `cpu` (model name), `cpu_id`
        (vendor, family, model and cache, where the system says), `avx512`,
        `avx2`, `fma` (None where unknown), `tensorflow`, `keras`,
        `onednn_opts` (`TF_ENABLE_ONEDNN_OPTS`), `threads` (TensorFlow's
        intra-op threads: the number it was limited to, else the usable CPUs)
        and `platform`.

    Example:

    >>> fingerprint = machine_fingerprint()
    >>> fingerprint == machine_fingerprint(), sorted(fingerprint)[:3]
    (True, ['avx2', 'avx512', 'cpu'])
    """
    import platform

    tf = import_tensorflow_quietly()
    keras = import_keras()
    cpuinfo = {}
    try:  # Linux: the first processor's block of /proc/cpuinfo
        text = pathlib.Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        for line in text.split("\n\n")[0].splitlines():
            key, _, value = line.partition(":")
            cpuinfo[key.strip()] = value.strip()
    except OSError:
        pass
    flags = set(cpuinfo.get("flags", "").split())
    try:  # NumPy's own detection of the CPU's instruction sets, on every system
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            features = {}

    def has(numpy_name, linux_name):
        if numpy_name in features:
            return bool(features[numpy_name])
        return (linux_name in flags) if flags else None

    cpu_id = ", ".join(f"{key} {cpuinfo[key]}" for key in ("vendor_id", "cpu family", "model",
                                                          "cache size") if key in cpuinfo)
    # The threads TensorFlow's kernels split their work over: set through the API (as
    # CNN_COURSE_THREADS does), else TF_NUM_INTRAOP_THREADS, else every CPU this process may use.
    threads = tf.config.threading.get_intra_op_parallelism_threads()
    if threads <= 0:
        env = os.environ.get("TF_NUM_INTRAOP_THREADS", "").strip()
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        threads = int(env) if env.isdigit() and int(env) > 0 else usable
    return {
        "cpu": cpuinfo.get("model name") or platform.processor() or platform.machine(),
        "cpu_id": cpu_id,
        "avx512": has("AVX512F", "avx512f"),
        "avx2": has("AVX2", "avx2"),
        "fma": has("FMA3", "fma"),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", ""),
        "threads": threads,
        "platform": f"{platform.system()}-{platform.machine()}",
    }


def build_shapes_base(name="shapes_base"):
    """Build the architecture of the shapes base, with random weights.

    Three VGG-style blocks, each `Conv2D(3x3, "valid", relu)` then
    `MaxPooling2D(2x2)`, with 32, 64 and 128 filters. The layers are named
    like VGG16's (`block1_conv1`, `block1_pool`, ..., `block3_pool`), so that
    the book's fine-tuning recipe ("unfreeze from `block3_conv1`") reads the
    same. Use `load_shapes_base` for the pretrained version.

    Input shape:
        `(batch, 64, 64, 3)`: RGB images rescaled to [0, 1]. The size is fixed.

    Output shape:
        `(batch, 6, 6, 128)`: 64 -> conv 62 -> pool 31 -> conv 29 -> pool 14
        -> conv 12 -> pool 6.

    Args:
        name: the model's name.

    Returns:
        An uncompiled `keras.Model`.

    Example:

    >>> from cnn_course.shapes_base import build_shapes_base
    >>> base = build_shapes_base()
    >>> base.output_shape
    (None, 6, 6, 128)
    >>> [layer.name for layer in base.layers[1:3]]
    ['block1_conv1', 'block1_pool']
    """
    keras = import_keras()

    inputs = keras.Input(shape=INPUT_SHAPE, name="image")  # (batch, 64, 64, 3), values in [0, 1]
    x = inputs
    for i, filters in enumerate(FILTERS, start=1):
        x = keras.layers.Conv2D(filters, 3, activation="relu", name=f"block{i}_conv1")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    return keras.Model(inputs, x, name=name)  # (batch, 6, 6, 128)


def load_shapes_base(trainable=False, weights_path=None, name="shapes_base"):
    """Return the shapes base with its pretrained weights: cnn_course's offline VGG16.

    Like `keras.applications.VGG16(weights="imagenet", include_top=False)`,
    but small (about 93,000 parameters), shipped with the package (no
    download), and pretrained by cnn_course itself on 9 shapes that are not
    the course's classes (`SOURCE_CLASSES`). Put a new dense head on top for
    feature extraction (`trainable=False`), then unfreeze the top block to
    fine-tune.

    Input shape:
        `(batch, 64, 64, 3)`: RGB images rescaled to [0, 1] (pixels / 255,
        what `cnn_course.data.make_dataset` does by default). The size is
        fixed: resize other images to 64x64 first.

    Output shape:
        `(batch, 6, 6, 128)`.

    Args:
        trainable: whether the base's weights may change in training (False
            freezes the whole base, for feature extraction).
        weights_path: a `.weights.h5` file to load instead of the shipped one.
        name: the model's name.

    Returns:
        A `keras.Model` with the pretrained weights.

    Raises:
        FileNotFoundError: the weights file is missing; the message names it
            and the script that recreates it.
        ValueError: if `trainable` is not True or False.

    Example:

    >>> from cnn_course.shapes_base import load_shapes_base
    >>> base = load_shapes_base()
    >>> base.trainable, base.output_shape
    (False, (None, 6, 6, 128))
    """
    trainable = check_bool("trainable", trainable)
    path = WEIGHTS_PATH if weights_path is None else pathlib.Path(weights_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"The weights of the shapes base are missing: {path} does not exist. Recreate them "
            f"(about a minute on a laptop CPU) with: python {PRETRAIN_SCRIPT}"
        )
    base = build_shapes_base(name=name)
    base.load_weights(os.fspath(path))
    base.trainable = bool(trainable)
    return base


def transfer_accuracy(base, train_per_class=250, test_per_class=100, seed=0):
    """How well the frozen base's features serve the course task: a fixed classifier's held-out accuracy.

    The behaviour that matters in a pretrained base, measured in a few
    seconds and without randomness (`TRANSFER_CHECK`): a logistic regression
    on the base's features of course images it never saw in pretraining,
    scored on the course's held-out test images. It reads 0.97 for the
    shipped base and about 0.46 for a randomly initialised one (chance:
    0.25). Bases retrained with other rounding (another CPU, thread count or
    oneDNN setting), whose weights differ, scored 0.95-0.97: this is what
    the reproduction test compares across machines.

    Args:
        base: a model from `build_shapes_base` (e.g. `load_shapes_base()`).
        train_per_class: course training images per class for the classifier.
        test_per_class: course test images per class it is scored on.
        seed: seed of the course images.

    Returns:
        The test accuracy, a float in [0, 1].
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from cnn_course.shapes import DEFAULT_CLASSES, make_shapes_arrays

    def features(n_per_class, split):
        images, labels, _ = make_shapes_arrays(n_per_class, INPUT_SHAPE[0], DEFAULT_CLASSES, seed,
                                               split=split)
        maps = base.predict(images.astype("float32") / 255.0, batch_size=128, verbose=0)
        return maps.mean(axis=(1, 2)), labels  # (n, 6, 6, 128) -> (n, 128)

    x_train, y_train = features(check_positive_int("train_per_class", train_per_class), "train")
    x_test, y_test = features(check_positive_int("test_per_class", test_per_class), "test")
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    classifier.fit(x_train, y_train)
    return float(classifier.score(x_test, y_test))


def load_metadata(path=None):
    """Return the metadata of the shipped weights (config, accuracies, machine, versions) as a dict.

    Example:

    >>> from cnn_course.shapes_base import load_metadata
    >>> load_metadata()["config"]["source_classes"][:2]
    ['cross', 'hexagon']
    """
    path = METADATA_PATH if path is None else pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"The metadata of the shapes base is missing: {path} does not exist. Recreate it "
            f"with: python {PRETRAIN_SCRIPT}"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def make_source_data(source_classes=SOURCE_CLASSES, n_per_class=400, n_validation_per_class=50,
                     seed=0):
    """Generate the source task's images: `(train, validation)`, each `(images, labels)`.

    Cluttered 64x64 images of `source_classes` from
    `cnn_course.shapes.make_shapes_arrays`, drawn from the random streams
    `SOURCE_SPLITS`, which no course dataset uses.

    Example:

    >>> (x, y), (vx, vy) = make_source_data(["heart", "arrow"], n_per_class=2,
    ...                                     n_validation_per_class=1)
    >>> x.shape, y.tolist(), vx.shape
    ((4, 64, 64, 3), [0, 0, 1, 1], (2, 64, 64, 3))
    """
    from cnn_course.shapes import DEFAULT_CLASSES, make_shapes_arrays

    overlap = [c for c in source_classes if c in DEFAULT_CLASSES]
    if overlap:
        raise arg_error(
            "source_classes", source_classes, "shapes that are not course classes",
            f"Remove {overlap}: pretraining on a target class would not be transfer.",
        )
    size = INPUT_SHAPE[0]
    train = make_shapes_arrays(n_per_class, size, source_classes, seed, split=SOURCE_SPLITS[0])
    validation = make_shapes_arrays(n_validation_per_class, size, source_classes, seed,
                                    split=SOURCE_SPLITS[1])
    return train[:2], validation[:2]


def pretrain_shapes_base(epochs=DEFAULT_CONFIG["epochs"], seed=DEFAULT_CONFIG["seed"], *,
                         source_classes=SOURCE_CLASSES, n_per_class=DEFAULT_CONFIG["n_per_class"],
                         n_validation_per_class=DEFAULT_CONFIG["n_validation_per_class"],
                         batch_size=DEFAULT_CONFIG["batch_size"],
                         learning_rate=DEFAULT_CONFIG["learning_rate"],
                         augmentation=None, verbose=1):
    """Pretrain a new shapes base on the source task; the code behind the shipped weights.

    Seeds everything (`set_seed`, deterministic ops), generates the source
    images (`make_source_data`), and trains `augmentation -> base -> Flatten
    -> Dropout(0.5) -> Dense(64) -> Dense(classes)` with Adam. The same
    arguments on the same machine give bit-identical weights; another CPU,
    thread count or TensorFlow gives other weights that behave alike
    (`machine_fingerprint`, `transfer_accuracy`). Only the base is returned
    for reuse: the augmentation and the dense head are thrown away, as with
    ImageNet models.

    Args:
        epochs: training epochs.
        seed: seed of the images, the weight initialisation, the shuffling
            and the augmentation.
        source_classes: the shapes to learn; none may be a course class.
        n_per_class: training images per class.
        n_validation_per_class: validation images per class.
        batch_size: images per training step.
        learning_rate: Adam's learning rate.
        augmentation: keyword arguments of
            `cnn_course.augmentation.make_augmentation` (None: those of
            `DEFAULT_CONFIG`; `{}`: no augmentation).
        verbose: passed to `cnn_course.training.fit`: 1 prints one line per
            epoch (pretraining takes minutes), 0 nothing.

    Returns:
        `(base, report)`: the pretrained base (a `keras.Model`, trainable) and
        a dict with `config` (the arguments), `source_val_accuracy`,
        `transfer_accuracy` (`transfer_accuracy(base)`), `history` (per-epoch
        metrics), `seconds` (pretraining only) and `machine`
        (`machine_fingerprint()`).

    Raises:
        ValueError: for a bad argument.

    Example:

    >>> base, report = pretrain_shapes_base(epochs=1, source_classes=["heart", "arrow"],
    ...                                     n_per_class=4, n_validation_per_class=2)
    epoch 1/1  loss=...  (... s)
    >>> base.output_shape, sorted(report)  # doctest: +NORMALIZE_WHITESPACE
    ((None, 6, 6, 128), ['config', 'history', 'machine', 'seconds', 'source_val_accuracy',
                         'transfer_accuracy'])
    """
    verbose = check_verbose(verbose)
    keras = import_keras()

    from cnn_course import data, training
    from cnn_course.augmentation import make_augmentation
    from cnn_course.reproducibility import set_seed

    if augmentation is None:
        augmentation = DEFAULT_CONFIG["augmentation"]

    config = {
        "source_classes": list(source_classes),
        "n_per_class": check_positive_int("n_per_class", n_per_class),
        "n_validation_per_class": check_positive_int("n_validation_per_class",
                                                     n_validation_per_class),
        "epochs": check_positive_int("epochs", epochs),
        "batch_size": check_positive_int("batch_size", batch_size),
        "learning_rate": float(learning_rate),
        "augmentation": dict(augmentation),
        "seed": set_seed(seed),
    }
    start = time.perf_counter()
    (x, y), (vx, vy) = make_source_data(source_classes, n_per_class, n_validation_per_class, seed)
    train_ds = data.make_dataset(x, y, batch_size=batch_size, shuffle=True, seed=seed)
    val_ds = data.make_dataset(vx, vy, batch_size=256)

    set_seed(seed)  # the weights do not depend on how many random numbers the data took
    base = build_shapes_base()
    inputs = keras.Input(shape=INPUT_SHAPE, name="image")
    augment = make_augmentation(**augmentation, seed=seed, name="source_augmentation")
    features = base(augment(inputs))  # (batch, 6, 6, 128)
    h = keras.layers.Flatten(name="flatten")(features)
    h = keras.layers.Dropout(0.5, seed=seed, name="dropout")(h)
    h = keras.layers.Dense(64, activation="relu", name="dense1")(h)
    outputs = keras.layers.Dense(len(source_classes), activation="softmax", name="output")(h)
    classifier = keras.Model(inputs, outputs, name="source_classifier")
    classifier.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]),
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = training.fit(classifier, train_ds, val_ds, epochs=config["epochs"], verbose=verbose)
    seconds = time.perf_counter() - start
    report = {
        "config": config,
        "source_val_accuracy": float(history.history["val_accuracy"][-1]),
        "transfer_accuracy": transfer_accuracy(base),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "seconds": seconds,
        "machine": machine_fingerprint(),
    }
    return base, report


def save_shapes_base(base, report, weights_path=None, metadata_path=None):
    """Write the base's weights and a json of its metadata, each atomically (temp file + rename).

    Args:
        base: a model built by `build_shapes_base` (e.g. from `pretrain_shapes_base`).
        report: the report of `pretrain_shapes_base`.
        weights_path: where to write; default the package's `WEIGHTS_PATH`.
        metadata_path: default the package's `METADATA_PATH`.

    Returns:
        `(weights_path, metadata_path)` as `pathlib.Path`s.
    """
    keras = import_keras()
    tf = import_tensorflow_quietly()

    weights_path = pathlib.Path(weights_path or WEIGHTS_PATH)
    metadata_path = pathlib.Path(metadata_path or METADATA_PATH)
    # Keras insists on the ".weights.h5" ending, so the temp name keeps it.
    with atomic_path(weights_path, suffix=".weights.h5") as tmp:
        base.save_weights(tmp)
    metadata = {
        "description": "Conv base of cnn_course.shapes_base, pretrained on the source task.",
        "created_by": PRETRAIN_SCRIPT,
        "input_shape": list(INPUT_SHAPE),
        "input_scaling": "RGB pixels / 255 (values in [0, 1])",
        "filters": list(FILTERS),
        "output_shape": list(base.output_shape[1:]),
        "config": report["config"],
        "seed": report["config"]["seed"],
        "source_classes": report["config"]["source_classes"],
        "source_splits": list(SOURCE_SPLITS),
        "epochs": report["config"]["epochs"],
        "source_val_accuracy": round(report["source_val_accuracy"], 4),
        "transfer_accuracy": round(report["transfer_accuracy"], 4),
        "transfer_check": TRANSFER_CHECK,
        "machine": report["machine"],
        "pretraining_seconds": round(report["seconds"], 1),
        "weights_sha256": hashlib.sha256(weights_path.read_bytes()).hexdigest(),
        "versions": {"keras": keras.__version__, "tensorflow": tf.__version__,
                     "numpy": np.__version__},
    }
    with atomic_path(metadata_path) as tmp:
        pathlib.Path(tmp).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return weights_path, metadata_path
