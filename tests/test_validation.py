"""One check per kind of argument (cnn_course._validation), with the same rule wherever it is used."""

import numpy as np
import pytest

from cnn_course import _validation, augmentation, reproducibility, search, shapes


@pytest.mark.parametrize("bad", [-1, True, 1.5, "0"])
def test_every_seed_argument_follows_one_rule(bad):
    calls = [
        lambda: reproducibility.set_seed(bad),
        lambda: augmentation.make_augmentation(horizontal_flip=True, seed=bad),
        lambda: shapes.make_shapes_arrays(1, image_size=16, seed=bad),
        lambda: search.random_search(lambda x: {"m": x}, {"x": (1,)}, n_trials=1, seed=bad, verbose=0),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=r"The `seed` argument must be a non-negative integer"):
            call()
    assert _validation.check_seed(np.int64(7)) == 7 and _validation.check_seed(None, allow_none=True) is None


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_true_or_false_arguments_follow_one_rule(bad):
    with pytest.raises(ValueError, match=r"The `clutter` argument must be True or False"):
        shapes.make_shapes_arrays(1, image_size=16, clutter=bad)
    with pytest.raises(ValueError, match=r"The `batchnorm` argument must be True or False"):
        _validation.check_bool("batchnorm", bad)
    assert _validation.check_bool("x", np.bool_(True)) is True


def test_class_names_and_image_size_follow_one_rule_for_folders_and_shapes(tmp_path):
    from cnn_course import datasets

    (tmp_path / "cats").mkdir()
    for call in (lambda: datasets.load_image_folder(tmp_path, class_names="cats"),
                 lambda: shapes.make_shapes_arrays(1, image_size=16, class_names="star")):
        with pytest.raises(ValueError, match=r"`class_names` argument must be a list of names, not a single string"):
            call()
    with pytest.raises(ValueError, match=r"The `image_size` argument must be None, a positive integer or a tuple"):
        datasets.load_image_folder(tmp_path, image_size=(0, 5))
    with pytest.raises(ValueError, match=r"`image_size` argument must be an integer of at least 16\. .*try image_size"):
        shapes.make_shapes_arrays(1, image_size=8)
    assert _validation.check_image_size(32, minimum=16, pair=False) == 32
