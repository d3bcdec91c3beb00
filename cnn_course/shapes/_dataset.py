"""The course's embedded offline dataset: seeded images of shapes on cluttered backgrounds, written as PNG folders."""

import dataclasses
import json
import os
import pathlib
import secrets
import shutil
import time
import types
import zlib

import numpy as np
from PIL import Image

from cnn_course._validation import arg_error, check_bool, check_class_names, check_positive_int, check_seed, \
    check_verbose
from cnn_course.shapes._drawing import (  # noqa: F401  (SHAPES, MIN_IMAGE_SIZE, render_shape: shapes.* as before)
    MIN_IMAGE_SIZE, SHAPES, check_drawing_size, draw_scene, sample_scene, shape_bbox, render_shape,
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


# ---------------------------------------------------------------------------
# Many images: in memory and on disk
# ---------------------------------------------------------------------------


def check_shape_classes(class_names):
    return check_class_names(class_names, allowed=SHAPES, min_count=2, kind="shape",
                             fix=f"Choose from {', '.join(repr(s) for s in SHAPES)}")


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


def image_rng(seed, split, class_name, index):
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
    images, labels, bboxes = draw_class_by_class(n_per_class, image_size, class_names, seed, clutter, split,
                                                 per_scene=shape_bbox)
    return images, labels, bboxes.astype(np.int64)


def check_split(split):
    """A split's name, the name of a random stream: a non-empty string."""
    if not isinstance(split, str) or not split:
        raise arg_error("split", split, "a non-empty string such as 'train'")
    return split


def draw_class_by_class(n_per_class, image_size, class_names, seed, clutter, split, per_scene):
    """Check `make_shapes_arrays`'s arguments and draw its images, with `per_scene(scene)` of each image.

    Returns `(images, labels, extras)`: uint8 `(N, H, W, 3)`, int64 `(N,)` and
    the values `per_scene` returned, stacked into one array (a box per image
    for `make_shapes_arrays`, a mask for `make_segmentation_arrays`).
    """
    n_per_class = check_positive_int("n_per_class", n_per_class)
    image_size = check_drawing_size(image_size)
    class_names = check_shape_classes(class_names)
    seed = check_seed(seed)
    clutter = check_bool("clutter", clutter)
    split = check_split(split)
    n = n_per_class * len(class_names)
    images = np.empty((n, image_size, image_size, 3), dtype=np.uint8)  # (N, H, W, 3)
    labels = np.repeat(np.arange(len(class_names), dtype=np.int64), n_per_class)
    extras = []
    for label, name in enumerate(class_names):
        for i in range(n_per_class):
            scene = sample_scene(name, image_rng(seed, split, name, i), image_size, clutter)
            images[label * n_per_class + i] = draw_scene(scene)
            extras.append(per_scene(scene))
    return images, labels, np.asarray(extras)


# ---------------------------------------------------------------------------
# Safe writing: never touch a folder we did not write ourselves
# ---------------------------------------------------------------------------


def _config(image_size, class_names, counts, seed, clutter):
    """Check every argument and return the config as it is stored in the manifest."""
    return {
        "image_size": check_drawing_size(image_size),
        "class_names": list(check_shape_classes(class_names)),
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
                rng = image_rng(config["seed"], split, name, i)
                scene = sample_scene(name, rng, config["image_size"], config["clutter"])
                relative = f"{split}/{name}/{name}_{i:05d}.png"
                _write_png(draw_scene(scene), root / relative)
                records.append({
                    "path": relative,
                    "split": split,
                    "class": name,
                    "label": label,
                    "bbox": list(shape_bbox(scene)),
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
    verbose = check_verbose(verbose)
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
