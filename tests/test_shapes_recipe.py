"""The course's default recipe for the shapes (models.shapes_convnet + augmentation.recipe("shapes")).

Issue 10 asked for a recipe whose augmented convnet leaves chance within its first 3 epochs,
where the old one (the book's Flatten network, dropout 0.5, rotations and zooms) sat at chance
for 15 to 20. These tests train both on the real shapes data for 3 epochs and assert that
behaviour, with margins wide enough for any CPU (measured here: 0.69 to 0.70 validation accuracy at
epoch 3 for the new recipe with oneDNN on and off, at most 0.29 in any epoch for the old one).
"""

import pytest

from cnn_course import augmentation, data, datasets, models, training

from cnn_course import shapes
from cnn_course.reproducibility import set_seed

EPOCHS = 3
CHANCE = 0.25


@pytest.fixture(scope="module")
def shapes_data():
    """The shapes' training split and 200 validation images, drawn in memory (no files)."""
    splits = {}
    for split, n in (("train", 250), ("validation", 50)):
        images, labels, _ = shapes.make_shapes_arrays(n, seed=0, split=split)
        splits[split] = datasets.ImageSet(images, labels, shapes.DEFAULT_CLASSES)
    return splits


def _validation_accuracy(model, splits):
    set_seed(0)
    train_ds = data.make_dataset(splits["train"], batch_size=32, shuffle=True, seed=0)
    val_ds = data.make_dataset(splits["validation"], batch_size=128)
    history = training.fit(models.compile_for_task(model, "multiclass"), train_ds, val_ds,
                           epochs=EPOCHS, verbose=0)
    return history.history["val_accuracy"]


@pytest.mark.trains
def test_augmented_shapes_convnet_leaves_chance_within_three_epochs(shapes_data):
    set_seed(0)
    model = models.shapes_convnet(augmentation=augmentation.recipe("shapes", seed=0))
    accuracy = _validation_accuracy(model, shapes_data)
    assert accuracy[-1] > CHANCE + 0.15, accuracy


@pytest.mark.trains
def test_old_recipe_is_still_near_chance_after_three_epochs(shapes_data):
    # Notebook 03 shows this side by side with the new recipe and explains it.
    set_seed(0)
    old = models.build_convnet((64, 64, 3), 4, filters=(32, 64, 128), dense_units=(64,), dropout=0.5,
                               augmentation=augmentation.recipe("strong", seed=0))
    accuracy = _validation_accuracy(old, shapes_data)
    assert max(accuracy) < CHANCE + 0.12, accuracy
