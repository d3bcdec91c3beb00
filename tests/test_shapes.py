"""Tests for cnn_course.shapes: determinism, folder layout, bounding boxes, and the safety rules."""

import json
import os
import pathlib

import numpy as np
import pytest
from PIL import Image

from cnn_course import shapes
from cnn_course.shapes import _dataset
from cnn_course.shapes import _drawing as shape_drawing

SMALL = {"image_size": 32, "counts": {"train": 3, "validation": 2, "test": 2}, "verbose": False}


def _files(root):
    """Relative posix path -> bytes of every file under `root`."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(pathlib.Path(root).rglob("*"))
        if p.is_file()
    }


def _load(path):
    with Image.open(path) as image:
        return np.asarray(image)


def _siblings(directory):
    """Names in the parent folder other than `directory` itself (temp folders would show here)."""
    return sorted(p.name for p in directory.parent.iterdir() if p.name != directory.name)


# --- determinism ------------------------------------------------------------


def test_arrays_are_deterministic_and_depend_on_seed():
    a = shapes.make_shapes_arrays(3, image_size=32, seed=5)
    b = shapes.make_shapes_arrays(3, image_size=32, seed=5)
    c = shapes.make_shapes_arrays(3, image_size=32, seed=6)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(a[1], c[1])  # labels depend only on the order


def test_each_image_has_its_own_stream():
    images3, _, boxes3 = shapes.make_shapes_arrays(3, image_size=32, class_names=["star", "cross"])
    images2, _, boxes2 = shapes.make_shapes_arrays(2, image_size=32, class_names=["star", "cross"])
    # Image i of a class does not depend on how many images were asked for.
    np.testing.assert_array_equal(images3[[0, 1, 3, 4]], images2)
    np.testing.assert_array_equal(boxes3[[0, 1, 3, 4]], boxes2)
    # Splits are different streams.
    validation, _, _ = shapes.make_shapes_arrays(2, image_size=32, class_names=["star", "cross"],
                                                 split="validation")
    assert not any(np.array_equal(v, t) for v in validation for t in images2)


def test_same_seed_gives_identical_png_bytes(tmp_path):
    first = shapes.make_shapes_dataset(tmp_path / "a", seed=3, **SMALL)
    second = shapes.make_shapes_dataset(tmp_path / "b", seed=3, **SMALL)
    other = shapes.make_shapes_dataset(tmp_path / "c", seed=4, **SMALL)
    files = _files(first)
    assert files == _files(second)
    others = _files(other)
    assert files.keys() == others.keys()
    pngs = [name for name in files if name.endswith(".png")]
    assert all(files[name] != others[name] for name in pngs)


def test_png_pixels_match_arrays_of_the_same_split(tmp_path):
    root = shapes.make_shapes_dataset(tmp_path / "d", seed=2, **SMALL)
    manifest = json.loads((root / "manifest.json").read_text())
    for split, n in SMALL["counts"].items():
        images, labels, bboxes = shapes.make_shapes_arrays(n, image_size=32, seed=2, split=split)
        records = [r for r in manifest["records"] if r["split"] == split]
        loaded = np.stack([_load(root / r["path"]) for r in records])
        np.testing.assert_array_equal(loaded, images)
        np.testing.assert_array_equal([r["label"] for r in records], labels)
        np.testing.assert_array_equal([r["bbox"] for r in records], bboxes)


# --- layout -----------------------------------------------------------------


def test_folder_layout_and_manifest(tmp_path):
    class_names = ["triangle", "circle", "hexagon"]
    counts = {"train": 3, "test": 1}
    root = shapes.make_shapes_dataset(tmp_path / "shapes", image_size=32, class_names=class_names,
                                      counts=counts, seed=1, verbose=False)
    assert root == (tmp_path / "shapes").absolute()
    assert sorted(p.name for p in root.iterdir()) == ["manifest.json", "test", "train"]
    for split, n in counts.items():
        assert sorted(p.name for p in (root / split).iterdir()) == sorted(class_names)
        for name in class_names:
            files = sorted(p.name for p in (root / split / name).iterdir())
            assert files == [f"{name}_{i:05d}.png" for i in range(n)]

    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["generator"] == "cnn_course.shapes"
    assert manifest["version"] == shapes.GENERATOR_VERSION
    assert manifest["config"] == {"image_size": 32, "class_names": class_names, "counts": counts,
                                  "seed": 1, "clutter": True}
    records = manifest["records"]
    assert len(records) == (3 + 1) * len(class_names)
    assert {r["path"] for r in records} == {
        p.relative_to(root).as_posix() for p in root.rglob("*.png")
    }
    for record in records:
        split, folder, _ = record["path"].split("/")
        assert record["split"] == split
        assert record["class"] == folder
        assert record["label"] == class_names.index(folder)  # labels follow class_names order
        assert _load(root / record["path"]).shape == (32, 32, 3)
        x0, y0, x1, y1 = record["bbox"]
        assert 0 <= x0 < x1 <= 32 and 0 <= y0 < y1 <= 32


def test_render_shape_output():
    image, bbox = shapes.render_shape("cross", np.random.default_rng(1), image_size=40)
    assert image.shape == (40, 40, 3) and image.dtype == np.uint8
    assert len(bbox) == 4 and all(isinstance(v, int) for v in bbox)
    image2, bbox2 = shapes.render_shape("cross", 1, image_size=40)  # an int seed works too
    np.testing.assert_array_equal(image, image2)
    assert bbox == bbox2


# --- bounding boxes ---------------------------------------------------------


@pytest.mark.parametrize("shape", shapes.SHAPES)
@pytest.mark.parametrize("clutter", [False, True])
def test_bbox_holds_exactly_the_shape_pixels(shape, clutter):
    # Independent of how the bbox is computed: draw each scene twice, with and
    # without the shape, and look at which pixels the shape changed.
    for seed in range(6):
        scene = shape_drawing.sample_scene(shape, np.random.default_rng(seed), 48, clutter)
        with_shape = shape_drawing.draw_scene(scene)
        without = shape_drawing.draw_scene(scene, with_shape=False)
        changed = np.any(with_shape != without, axis=-1)  # (H, W)
        ys, xs = np.nonzero(changed)
        x0, y0, x1, y1 = shape_drawing.shape_bbox(scene)
        assert changed.sum() > 30  # the shape is visible, not hidden by clutter
        assert xs.min() >= x0 and xs.max() < x1 and ys.min() >= y0 and ys.max() < y1
        if not clutter:  # nothing drawn over the shape: the box is tight
            assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (x0, y0, x1, y1)


def test_render_shape_bbox_is_the_scene_bbox():
    image, bbox = shapes.render_shape("star", np.random.default_rng(7), image_size=48)
    scene = shape_drawing.sample_scene("star", np.random.default_rng(7), 48, True)
    np.testing.assert_array_equal(image, shape_drawing.draw_scene(scene))
    assert bbox == shape_drawing.shape_bbox(scene)


def test_shape_contrasts_with_background():
    # On a clutter-free image, the shape's inside differs clearly from the corners' colour.
    for seed in range(10):
        image, (x0, y0, x1, y1) = shapes.render_shape("square", seed, image_size=64, clutter=False)
        inside = image[(y0 + y1) // 2, (x0 + x1) // 2].astype(float)
        gray = np.array([0.299, 0.587, 0.114])
        corners = [image[0, 0], image[0, -1], image[-1, 0], image[-1, -1]]
        assert min(abs(inside @ gray - c.astype(float) @ gray) for c in corners) > 30


# --- safety -----------------------------------------------------------------


def test_writes_into_missing_nested_or_empty_folder(tmp_path):
    root = shapes.make_shapes_dataset(tmp_path / "new" / "deeper", **SMALL)
    assert (root / "manifest.json").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    shapes.make_shapes_dataset(empty, **SMALL)
    assert (empty / "manifest.json").is_file()
    assert _siblings(empty) == ["new"]  # no temporary folders left behind


def test_refuses_folder_with_a_stray_user_file(tmp_path):
    root = shapes.make_shapes_dataset(tmp_path / "shapes", **SMALL)
    before = _files(root)
    stray = root / "train" / "circle" / "my_notes.txt"
    stray.write_text("do not delete me")
    for config in ({}, {"seed": 99}):  # same config, or one that would replace the dataset
        with pytest.raises(FileExistsError) as info:
            shapes.make_shapes_dataset(root, **SMALL, **config)
        message = str(info.value)
        assert str(root) in message
        assert "train/circle/my_notes.txt" in message
        assert "choose another directory" in message
    assert stray.read_text() == "do not delete me"
    after = _files(root)
    del after["train/circle/my_notes.txt"]
    assert after == before
    assert not shapes.dataset_exists(root, **{k: v for k, v in SMALL.items() if k != "verbose"})


def test_refuses_non_empty_folder_without_manifest(tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("precious")
    with pytest.raises(FileExistsError, match="chapter1.tex"):
        shapes.make_shapes_dataset(folder, **SMALL)
    assert [p.name for p in folder.iterdir()] == ["chapter1.tex"]
    assert (folder / "chapter1.tex").read_text() == "precious"
    assert _siblings(folder) == []


@pytest.mark.parametrize("case", ["foreign_manifest", "empty_user_folder", "a_file"])
def test_refuses_other_things_that_are_not_ours(tmp_path, case):
    target = tmp_path / "target"
    if case == "a_file":
        target.write_text("just a file")
    else:
        shapes.make_shapes_dataset(target, **SMALL)
        if case == "foreign_manifest":
            (target / "manifest.json").write_text('{"generator": "someone else", "records": []}')
        else:
            (target / "train" / "extra").mkdir()
    before = _files(tmp_path)
    with pytest.raises(FileExistsError):
        shapes.make_shapes_dataset(target, **{**SMALL, "seed": 1})
    assert _files(tmp_path) == before


def test_replaces_its_own_output_when_config_differs(tmp_path):
    root = shapes.make_shapes_dataset(tmp_path / "shapes", class_names=["circle", "star"], **SMALL)
    old_circle = (root / "train" / "circle" / "circle_00000.png").read_bytes()
    shapes.make_shapes_dataset(root, class_names=["square", "circle"], seed=1, **SMALL)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["config"]["class_names"] == ["square", "circle"]
    assert sorted(p.name for p in (root / "train").iterdir()) == ["circle", "square"]  # star gone
    assert (root / "train" / "circle" / "circle_00000.png").read_bytes() != old_circle
    assert _files(root).keys() == {"manifest.json"} | {r["path"] for r in manifest["records"]}
    assert _siblings(root) == []  # neither the new temp folder nor the old output remains


def test_same_config_returns_without_rewriting(tmp_path, capsys):
    config = {k: v for k, v in SMALL.items() if k != "verbose"}
    root = tmp_path / "shapes"
    assert not shapes.dataset_exists(root, **config)
    shapes.make_shapes_dataset(root, **SMALL)
    assert shapes.dataset_exists(root, **config)
    assert not shapes.dataset_exists(root, **{**config, "seed": 1})
    mtimes = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    os.utime(root / "manifest.json", ns=(1, 1))  # any rewrite would change this
    mtimes[root / "manifest.json"] = 1
    assert shapes.make_shapes_dataset(root, **{**SMALL, "verbose": True}) == root.absolute()
    assert "nothing to do" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == mtimes


def test_incomplete_own_output_is_regenerated(tmp_path):
    root = shapes.make_shapes_dataset(tmp_path / "shapes", **SMALL)
    (root / "test" / "star" / "star_00001.png").unlink()
    config = {k: v for k, v in SMALL.items() if k != "verbose"}
    assert not shapes.dataset_exists(root, **config)
    shapes.make_shapes_dataset(root, **SMALL)
    assert (root / "test" / "star" / "star_00001.png").is_file()


@pytest.mark.parametrize("existing", [False, True])
def test_interrupted_run_leaves_nothing_half_written(tmp_path, monkeypatch, existing):
    root = tmp_path / "shapes"
    if existing:
        shapes.make_shapes_dataset(root, **SMALL)
    before = _files(tmp_path)
    written = []
    original = _dataset._write_png

    def write_a_few_then_stop(image, path):
        if len(written) == 5:
            raise KeyboardInterrupt
        written.append(path)
        original(image, path)

    monkeypatch.setattr(_dataset, "_write_png", write_a_few_then_stop)
    with pytest.raises(KeyboardInterrupt):
        shapes.make_shapes_dataset(root, **{**SMALL, "seed": 8})
    assert len(written) == 5
    assert _files(tmp_path) == before  # old output intact (or still nothing), no temp folder
    assert sorted(p.name for p in tmp_path.iterdir()) == (["shapes"] if existing else [])


# --- argument validation ----------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"image_size": 8}, "The `image_size` argument must be an integer of at least 16. "
                            "Received: image_size=8"),
        ({"image_size": 32.0}, "Received: image_size=32.0"),
        ({"class_names": ["circle", "oval"]}, "'oval' is not a shape"),
        ({"class_names": "circle"}, "not a single string"),
        ({"class_names": ["circle", "circle"]}, "distinct"),
        ({"counts": {"train": 0}}, "The `counts['train']` argument must be a positive integer"),
        ({"counts": {}}, "The `counts` argument must be a non-empty dict"),
        ({"counts": {"../up": 3}}, "cannot be used as a folder name"),
        ({"seed": -1}, "The `seed` argument must be a non-negative integer. Received: seed=-1"),
        ({"clutter": "yes"}, "The `clutter` argument must be True or False"),
    ],
)
def test_dataset_argument_errors_use_the_template(tmp_path, kwargs, text):
    with pytest.raises(ValueError) as info:
        shapes.make_shapes_dataset(tmp_path / "x", **{**SMALL, **kwargs})
    assert text in str(info.value)
    assert not (tmp_path / "x").exists()


def test_unknown_class_error_lists_valid_shapes():
    with pytest.raises(ValueError) as info:
        shapes.make_shapes_arrays(2, class_names=["circle", "oval"])
    message = str(info.value)
    assert message.startswith("The `class_names` argument must be")
    assert all(repr(name) in message for name in shapes.SHAPES)


@pytest.mark.parametrize(
    "args, text",
    [
        (("oval", 0), "The `shape` argument must be one of 'circle'"),
        (("circle", "seed"), "The `rng` argument must be a numpy.random.Generator"),
        (("circle", 0, 15), "Received: image_size=15"),
    ],
)
def test_render_shape_argument_errors(args, text):
    with pytest.raises(ValueError, match=None) as info:
        shapes.render_shape(*args)
    assert text in str(info.value)


def test_n_per_class_error():
    with pytest.raises(ValueError, match="The `n_per_class` argument must be a positive integer"):
        shapes.make_shapes_arrays(0)


# -- the tasks beyond classification ----------------------------------------------------------------------
def test_segmentation_images_are_the_classification_images_and_masks_sit_in_their_boxes():
    images, labels, boxes = shapes.make_shapes_arrays(6, image_size=48, seed=2)
    seg_images, masks, seg_labels = shapes.make_segmentation_arrays(6, image_size=48, seed=2)
    np.testing.assert_array_equal(seg_images, images)
    np.testing.assert_array_equal(seg_labels, labels)
    for mask, label, (x0, y0, x1, y1) in zip(masks, labels, boxes):
        assert set(np.unique(mask)) == {0, label + 1}
        rows, cols = np.nonzero(mask)
        # Half-covered pixels or more: inside the box of every touched pixel, a few pixels in at most (a star's
        # thin tips touch pixels they do not half cover).
        assert x0 <= cols.min() <= x0 + 3 and x1 - 4 <= cols.max() <= x1 - 1
        assert y0 <= rows.min() <= y0 + 3 and y1 - 4 <= rows.max() <= y1 - 1
        # The shape covers about the same area whatever its class (the generator's area scaling).
        assert 0.03 < mask.astype(bool).mean() < 0.35


def test_segmentation_mask_is_where_drawing_the_shape_changes_the_image():
    # Without clutter and noise the shape's pixels are the ones that differ from the image drawn without it.
    rng = np.random.default_rng(5)
    for shape in ("circle", "star", "cross"):
        scene = shape_drawing.sample_scene(shape, rng, 48, clutter=False)
        scene.noise = np.zeros_like(scene.noise)
        changed = np.abs(shape_drawing.draw_scene(scene).astype(int)
                         - shape_drawing.draw_scene(scene, with_shape=False).astype(int)).sum(axis=-1)
        mask = shape_drawing.shape_mask(scene)
        assert (changed[mask] > 0).all()  # every masked pixel shows the shape
        assert (mask[changed > changed.max() / 2]).all()  # every pixel more than half changed is masked


def test_multilabel_images_hold_one_to_max_shapes_each_class_equally_often():
    images, labels = shapes.make_multilabel_arrays(400, image_size=32, seed=0, clutter=False)
    assert images.shape == (400, 32, 32, 3) and labels.dtype == np.float32
    counts = labels.sum(axis=1)
    assert set(np.unique(counts)) == {1.0, 2.0, 3.0}
    assert np.all(np.abs(labels.mean(axis=0) - labels.mean()) < 0.08)  # every class about as often
    again, again_labels = shapes.make_multilabel_arrays(5, image_size=32, seed=0, clutter=False)
    np.testing.assert_array_equal(again, images[:5])  # image i does not depend on n
    np.testing.assert_array_equal(again_labels, labels[:5])
    other, _ = shapes.make_multilabel_arrays(5, image_size=32, seed=0, clutter=False, split="test")
    assert not any((o == i).all() for o in other for i in images)


def test_multilabel_shapes_sit_one_per_quarter():
    # Without clutter, each shape changes the pixels of its own quarter only: count the quarters that differ
    # from a flat background drawn without shapes.
    rng = np.random.default_rng(3)
    cells = ["star", None, "circle", "square"]
    scene = shape_drawing.sample_grid_scene(cells, rng, 64, clutter=False)
    scene.noise = np.zeros_like(scene.noise)
    changed = np.abs(shape_drawing.draw_scene(scene).astype(int)
                     - shape_drawing.draw_scene(scene, with_shape=False).astype(int)).sum(axis=-1) > 0
    quarters = [changed[:32, :32], changed[:32, 32:], changed[32:, :32], changed[32:, 32:]]
    assert [bool(q.any()) for q in quarters] == [True, False, True, True]
    mask = shape_drawing.shape_mask(scene)
    assert [bool(q.any()) for q in (mask[:32, :32], mask[:32, 32:], mask[32:, :32], mask[32:, 32:])] == \
        [True, False, True, True]


def test_task_arrays_refuse_bad_arguments():
    with pytest.raises(ValueError, match="max_shapes"):
        shapes.make_multilabel_arrays(2, class_names=["circle", "star"], max_shapes=3)
    with pytest.raises(ValueError, match="at least 32"):
        shapes.make_multilabel_arrays(2, image_size=24)
    with pytest.raises(ValueError, match="n_per_class"):
        shapes.make_segmentation_arrays(0)
