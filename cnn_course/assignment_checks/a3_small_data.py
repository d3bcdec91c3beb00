"""Public checks of assignment a3_small_data (generated from assignments/a3_small_data/a3_small_data.py by
`python tools/sync_assignments.py`: do not edit by hand)."""

NAME = 'a3_small_data'
VERSION = '3b0b35b41b29'
QUESTIONS = {"q1": {"public": 3, "hidden": 1, "hidden_checks": ["scratch_model's accuracy on new test images (1)"]}, "q2": {"public": 3, "hidden": 2, "hidden_checks": ["augmented_model's accuracy on new test images (1)", "augmented_model scores clearly higher than scratch_model on new test images (1)"]}, "q3": {"public": 2, "hidden": 1, "hidden_checks": ["feature_classifier's accuracy on the pretrained base's features of new test images (1)"]}, "q4": {"public": 2, "hidden": 1, "hidden_checks": ["Training the head left the base's pretrained weights as they were (1)"]}, "q5": {"public": 4, "hidden": 2, "hidden_checks": ["Fine-tuning changed block3_conv1 and left the lower blocks as they were (1)", "transfer_model's accuracy on new test images, after fine-tuning (1)"]}, "q6": {"public": 3, "hidden": 2, "hidden_checks": ["The accuracies are those of your models on the test split (1)", "fine_tuning_gained says what your fine-tuned and feature-extraction models score on the test split (1)"]}}

# Helpers of the checks below (a name that starts with `_` is not a check).
#
# These public checks ship inside the cnn_course package, where students can read
# them: they hold no answer. The hidden-check cells further down measure the
# trained models on images drawn from the teacher's course secret.
import numpy as np

from cnn_course import settings, shapes_base
from cnn_course.checks import hidden, public

#: Seconds the grader gives one submission: about 4.5 times the reference's 108 s top to bottom on a
#: 2-core CPU shared with other jobs (79 s of CPU time), room for grading two submissions at once.
TIME_LIMIT_SECONDS = 480
_IMAGE_SHAPE = (64, 64, 3)
_FEATURE_SHAPE = (6, 6, 128)  # what the shapes base outputs for one image
_NUM_CLASSES = 4
_TOP_BLOCK = "block3_conv1"  # the conv layer of the base's last block
_LOWER_BLOCKS = ("block1_conv1", "block2_conv1")
#: The course's network (models.shapes_convnet), as `_layout` writes it: three blocks of a 3x3
#: convolution, batch normalization and 2x2 max pooling, global max pooling, the softmax.
_COURSE_NETWORK = (("Conv2D", 16, (3, 3)), ("BatchNormalization",), ("MaxPooling2D",),
                   ("Conv2D", 32, (3, 3)), ("BatchNormalization",), ("MaxPooling2D",),
                   ("Conv2D", 64, (3, 3)), ("BatchNormalization",), ("MaxPooling2D",),
                   ("GlobalMaxPooling2D",), ("Dense", _NUM_CLASSES))
#: The layers that `_layout` lists; the others (input, activations, dropout, augmentation) it skips.
_LAYOUT_LAYERS = ("Conv2D", "BatchNormalization", "MaxPooling2D", "AveragePooling2D", "GlobalMaxPooling2D",
                  "GlobalAveragePooling2D", "Flatten", "Dense")
#: Keras's augmentation layers whose names do not start with "Random".
_OTHER_AUGMENTATIONS = ("RandAugment", "AugMix", "CutMix", "MixUp")
#: Question 6: fine-tuning "gained" when it scored more than this above feature extraction.
_GAIN_MARGIN = 0.03
_PRETRAINED = {}  # "base": a fresh copy of the shipped base; "weights": layer name -> its arrays


def _assert_model(model, name):
    keras = settings.import_keras()
    assert isinstance(model, keras.Model), (
        f"`{name}` is a {type(model).__name__}, not a Keras model: build it with keras.Sequential "
        "or keras.Model")


def _sublayers(layer):
    """Every layer inside `layer`, depth first (a nested model and the layers inside it)."""
    for sub in getattr(layer, "layers", ()):
        yield sub
        yield from _sublayers(sub)


def _is_augmentation(layer):
    name = type(layer).__name__
    return name.startswith("Random") or name in _OTHER_AUGMENTATIONS


def _layout(model):
    """The conv, normalization, pooling and dense layers of `model`, in order, as tuples."""
    keras = settings.import_keras()
    rows = []
    for layer in _sublayers(model):
        kind = next((name for name in _LAYOUT_LAYERS if type(layer) is getattr(keras.layers, name)), None)
        if kind == "Conv2D":
            rows.append((kind, int(layer.filters), tuple(int(k) for k in layer.kernel_size)))
        elif kind == "Dense":
            rows.append((kind, int(layer.units)))
        elif kind == "MaxPooling2D" and tuple(layer.pool_size) != (2, 2):
            rows.append((kind, tuple(int(p) for p in layer.pool_size)))
        elif kind:
            rows.append((kind,))
    return tuple(rows)


def _describe(layout):
    """A layout as text: "Conv2D(16, 3x3), BatchNormalization, MaxPooling2D, ..."."""
    def one(row):
        if row[0] == "Conv2D":
            return f"Conv2D({row[1]}, {row[2][0]}x{row[2][1]})"
        if len(row) > 1:
            return f"{row[0]}({row[1]})"
        return row[0]

    return ", ".join(map(one, layout)) or "none"


def _shape_of(model, which):
    try:
        return tuple(getattr(model, which))
    except (AttributeError, ValueError, TypeError):
        return None


def _scores(model, x, batch=200):
    """The model's outputs for `x`, in inference mode, `batch` inputs at a time."""
    # Plain calls rather than model.predict: faster for a few hundred inputs, and no tf.function.
    return np.concatenate([np.asarray(model(x[i:i + batch], training=False))
                           for i in range(0, len(x), batch)])


def _accuracy(model, x, labels):
    scores = _scores(model, x)
    assert scores.shape == (len(x), _NUM_CLASSES), (
        f"for {len(x)} inputs the model outputs an array of shape {scores.shape}; a classifier of "
        f"{_NUM_CLASSES} classes outputs ({len(x)}, {_NUM_CLASSES})")
    return float(np.mean(scores.argmax(axis=1) == labels))


def _assert_classifier(model, name, input_shape=_IMAGE_SHAPE):
    """`model` takes `input_shape` inputs, outputs one score per class, and has been trained."""
    _assert_model(model, name)
    inputs = _shape_of(model, "input_shape")
    assert inputs == (None, *input_shape), (
        f"`{name}` takes inputs of shape {inputs}; it should take a batch of shape (None, "
        f"{', '.join(map(str, input_shape))})")
    outputs = _shape_of(model, "output_shape")
    assert outputs == (None, _NUM_CLASSES), (
        f"`{name}` outputs shape {outputs}: it should output one score per class, (None, {_NUM_CLASSES})")
    optimizer = getattr(model, "optimizer", None)
    assert optimizer is not None, f"`{name}` is not compiled"
    assert int(optimizer.iterations) > 0, (
        f"`{name}` has not been trained since it was last compiled: run its training cell")


def _pretrained():
    """A fresh copy of the shipped base and its weights (layer name -> arrays), loaded once."""
    if not _PRETRAINED:
        fresh = shapes_base.load_shapes_base()
        _PRETRAINED["base"] = fresh
        _PRETRAINED["weights"] = {layer.name: [np.asarray(w) for w in layer.weights]
                                  for layer in fresh.layers if layer.weights}
    return _PRETRAINED


def _holds_pretrained_weights(layer):
    """True when each weight of `layer` equals, exactly, the shipped one of the base's layer of its name."""
    shipped = _pretrained()["weights"].get(layer.name)
    weights = [np.asarray(w) for w in layer.weights]
    return (shipped is not None and len(shipped) == len(weights)
            and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(weights, shipped)))


def _base_layer(base, name):
    """The layer `name` of the student's base (asserts that `base` is the shapes base)."""
    _assert_model(base, "base")
    try:
        return base.get_layer(name)
    except ValueError:
        raise AssertionError(
            f"`base` has no layer named {name!r}: it should be the pretrained base of "
            "shapes_base.load_shapes_base()") from None


def _base_ids(base):
    return {id(w) for w in base.weights}

@public("q1", points=1)
def scratch_model_is_a_trained_classifier(scratch_model):
    """scratch_model takes 64x64 RGB images, outputs 4 class scores and is trained"""
    _assert_classifier(scratch_model, "scratch_model")


@public("q1", points=1)
def scratch_model_is_the_course_network(scratch_model):
    """scratch_model has the layers of the course's network (notebook 03, section "The network")"""
    _assert_model(scratch_model, "scratch_model")
    layout = _layout(scratch_model)
    kinds = [row[0] for row in layout]
    assert "Flatten" not in kinds, (
        "`scratch_model` flattens its feature maps (Flatten): that is the older recipe of notebook 03 "
        "(section \"Why an older recipe learned nothing for many epochs\"); the table ends in "
        "GlobalMaxPooling2D, straight into the Dense output layer")
    assert kinds.count("BatchNormalization") == 3, (
        f"`scratch_model` has {kinds.count('BatchNormalization')} BatchNormalization layer(s); the table "
        "puts one after each of the 3 convolutions")
    assert layout == _COURSE_NETWORK, (
        f"the layers of `scratch_model` are {_describe(layout)}; the table gives {_describe(_COURSE_NETWORK)} "
        "(activations aside)")


@public("q1", points=1)
def scratch_model_learns_from_scratch(scratch_model):
    """scratch_model is a convnet of its own: no augmentation, no pretrained layers"""
    keras = settings.import_keras()
    _assert_model(scratch_model, "scratch_model")
    layers = list(_sublayers(scratch_model))
    convs = [layer for layer in layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) >= 2, (
        f"`scratch_model` has {len(convs)} Conv2D layer(s): it should be the convnet of the table")
    augmentations = [type(layer).__name__ for layer in layers if _is_augmentation(layer)]
    assert not augmentations, (
        f"`scratch_model` holds augmentation layers ({', '.join(augmentations)}): question 1 trains "
        "without augmentation, to see what question 2 changes")
    reused = [layer.name for layer in convs if _holds_pretrained_weights(layer)]
    assert not reused, (
        f"`scratch_model` holds the pretrained layer(s) {', '.join(reused)}: train it from scratch")

@public("q2", points=1)
def augmented_model_is_a_trained_classifier(augmented_model):
    """augmented_model takes 64x64 RGB images, outputs 4 class scores and is trained"""
    _assert_classifier(augmented_model, "augmented_model")


@public("q2", points=1)
def augmentation_layers_inside(augmented_model, scratch_model):
    """augmented_model holds random augmentation layers, which do nothing at test time"""
    _assert_model(augmented_model, "augmented_model")
    assert augmented_model is not scratch_model, (
        "`augmented_model` is `scratch_model` itself: build a new model with shapes_net(augment)")
    found = [layer for layer in _sublayers(augmented_model) if _is_augmentation(layer)]
    assert found, (
        "`augmented_model` holds no random augmentation layer (keras.layers.RandomFlip, "
        "RandomTranslation, ...): put them inside the model, in `augment`")
    probe = np.random.default_rng(0).uniform(size=(4, *_IMAGE_SHAPE)).astype("float32")
    first, second = _scores(augmented_model, probe), _scores(augmented_model, probe)
    assert np.array_equal(first, second), (
        "`augmented_model` gives different outputs for the same images at test time: augmentation "
        "should act only while training (do not force training=True on its layers)")


@public("q2", points=1)
def augmented_model_is_the_same_network(augmented_model, scratch_model):
    """augmented_model has the same conv, normalization, pooling and dense layers as scratch_model"""
    _assert_model(augmented_model, "augmented_model")
    _assert_model(scratch_model, "scratch_model")
    mine, theirs = _layout(augmented_model), _layout(scratch_model)
    assert mine == theirs, (
        f"the layers of `augmented_model` are {_describe(mine)}, those of `scratch_model` "
        f"{_describe(theirs)}: to measure what augmentation changes, change nothing else (use shapes_net "
        "for both)")

@public("q3", points=1)
def features_of_the_pretrained_base(train_features, val_features, test_features, train, validation, test):
    """train_features, val_features and test_features are the pretrained base's outputs"""
    fresh = _pretrained()["base"]
    for name, features, images in (("train_features", train_features, train),
                                   ("val_features", val_features, validation),
                                   ("test_features", test_features, test)):
        shape = getattr(features, "shape", None)
        expected = (len(images.images), *_FEATURE_SHAPE)
        assert shape is not None and tuple(shape) == expected, (
            f"`{name}` has shape {shape}; one block of features per image of its split gives {expected}")
        first = np.asarray(fresh(images.images[:4].astype("float32") / 255.0, training=False))
        # Tolerance 1e-3: the same network on other batch sizes rounds a little differently.
        assert np.allclose(np.asarray(features[:4]), first, rtol=1e-3, atol=1e-3), (
            f"`{name}` are not what the pretrained base outputs for the images of its split (in "
            "their order, pixels divided by 255)")


@public("q3", points=1)
def feature_classifier_is_a_trained_classifier(feature_classifier):
    """feature_classifier takes one 6x6x128 block of features, outputs 4 class scores, is trained"""
    _assert_classifier(feature_classifier, "feature_classifier", input_shape=_FEATURE_SHAPE)

@public("q4", points=1)
def base_inside_transfer_model(transfer_model, base):
    """transfer_model takes 64x64 RGB images and computes with `base` itself"""
    _assert_classifier(transfer_model, "transfer_model")
    for name in (*_LOWER_BLOCKS, _TOP_BLOCK):
        _base_layer(base, name)
    model_ids = {id(w) for w in transfer_model.weights}
    assert base.weights and all(id(w) in model_ids for w in base.weights), (
        "`base` is not inside `transfer_model`: build the model by calling the `base` of the given "
        "line (a copy or another base would be frozen and trained apart from it)")


@public("q4", points=1)
def base_frozen_while_the_head_trained(frozen_stage, transfer_model, base):
    """When the head trained, only the head's weights were trainable"""
    _assert_model(transfer_model, "transfer_model")
    from cnn_course import transfer

    assert isinstance(frozen_stage, transfer.TrainableSummary), (
        "`frozen_stage` is not the trainable_summary of the given training cell: run that cell")
    base_params, all_params = int(base.count_params()), int(transfer_model.count_params())
    assert frozen_stage.trainable_params > 0, (
        "nothing in `transfer_model` was trainable: the head must train")
    assert frozen_stage.trainable_params <= all_params - base_params, (
        f"{frozen_stage.trainable_params:,} parameters were trainable while the head trained, more than "
        f"the {all_params - base_params:,} outside the base: the training changed the pretrained filters")

@public("q5", points=1)
def only_the_top_block_unfrozen(base):
    """In `base`, block3_conv1 is trainable and the layers before it are frozen"""
    trainable = {id(w) for w in base.trainable_weights}
    top = _base_layer(base, _TOP_BLOCK)
    assert top.weights and all(id(w) in trainable for w in top.weights), (
        f"the weights of {_TOP_BLOCK} are not trainable: fine-tuning would not change them")
    for name in _LOWER_BLOCKS:
        layer = _base_layer(base, name)
        assert not any(id(w) in trainable for w in layer.weights), (
            f"{name} is trainable: only the top block should change while fine-tuning")


@public("q5", points=1)
def trainable_weights_while_fine_tuning(transfer_model, base):
    """transfer_model trains its head and the base's 2 top-block tensors (73,856 parameters)"""
    _assert_model(transfer_model, "transfer_model")
    ids = _base_ids(base)
    from_base = [w for w in transfer_model.trainable_weights if id(w) in ids]
    head = [w for w in transfer_model.trainable_weights if id(w) not in ids]
    params = sum(int(np.prod(w.shape)) for w in from_base)
    assert head, "no weight outside the base is trainable: the head should keep training"
    assert (len(from_base), params) == (2, 3 * 3 * 64 * 128 + 128), (
        f"{len(from_base)} of the trainable weight tensors of `transfer_model` ({params:,} parameters) "
        "belong to the base: expected the kernel and the bias of its top block's conv layer")


@public("q5", points=1)
def small_learning_rate_for_fine_tuning(transfer_model):
    """transfer_model's optimizer has a small learning rate"""
    _assert_model(transfer_model, "transfer_model")
    optimizer = getattr(transfer_model, "optimizer", None)
    assert optimizer is not None, "`transfer_model` is not compiled"
    rate = float(np.asarray(optimizer.learning_rate))
    assert rate <= 2e-4, (
        f"the learning rate of `transfer_model`'s optimizer is {rate:g}: too large for fine-tuning, "
        "where the pretrained filters should change only a little")


@public("q5", points=1)
def compiled_again_after_unfreezing(transfer_model):
    """transfer_model's optimizer updates the weights that are trainable now"""
    from cnn_course import transfer

    _assert_model(transfer_model, "transfer_model")
    try:
        transfer.check_compiled_trainability(transfer_model)
    except RuntimeError:
        raise AssertionError(
            "`transfer_model`'s optimizer still updates the weights that were trainable when it was "
            "built, not those that are trainable now: a change of `trainable` has no effect on a model "
            "that has already trained until Keras sets up its training again") from None

_METHODS = ("scratch", "augmented", "feature_extraction", "fine_tuning")


def _accuracy_table(accuracies):
    """The four accuracies as floats, in the student's own unit (a fraction, or a percentage)."""
    assert isinstance(accuracies, dict), f"`accuracies` is a {type(accuracies).__name__}, not a dict"
    assert sorted(accuracies) == sorted(_METHODS), (
        f"the keys of `accuracies` are {sorted(accuracies)}; expected exactly {list(_METHODS)}")
    for method, value in accuracies.items():
        ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
        assert ok and np.isfinite(float(value)), f"accuracies[{method!r}] is {value!r}, not a number"
    return {method: float(value) for method, value in accuracies.items()}


def _as_fractions(accuracies):
    """The accuracies as fractions: percentages (one of them above 1, none above 100) divided by 100."""
    table = _accuracy_table(accuracies)
    if all(0 <= v <= 100 for v in table.values()) and any(v > 1 for v in table.values()):
        return {method: value / 100 for method, value in table.items()}
    return table


def _assert_statement(fine_tuning_gained):
    assert isinstance(fine_tuning_gained, (bool, np.bool_)), (
        f"`fine_tuning_gained` is {fine_tuning_gained!r}: set it to True or False")
    return bool(fine_tuning_gained)


@public("q6", points=1)
def accuracies_of_the_four_methods(accuracies):
    """accuracies holds one test accuracy per method, as a fraction between 0 and 1"""
    for method, value in _accuracy_table(accuracies).items():
        assert 0.0 <= value <= 1.0, (
            f"accuracies[{method!r}] is {value:g}: write each accuracy as a fraction between 0 and 1 (what "
            "evaluate() returns), not as a percentage")


@public("q6", points=1)
def best_method_from_your_numbers(accuracies, best_method):
    """best_method names the method with the highest accuracy in your table"""
    table = _accuracy_table(accuracies)  # in your own unit: a table in percent is judged once, above
    assert best_method in _METHODS, f"`best_method` is {best_method!r}: use one of the keys of `accuracies`"
    assert table[best_method] == max(table.values()), (
        f"`best_method` is {best_method!r}, but another method has a higher accuracy in `accuracies`")


@public("q6", points=1)
def fine_tuning_gain_from_your_numbers(accuracies, fine_tuning_gained):
    """fine_tuning_gained says what your table shows: fine-tuning more than 3 points above feature extraction"""
    stated = _assert_statement(fine_tuning_gained)
    fractions = _as_fractions(accuracies)  # a table in percent loses its point once, above
    gain = fractions["fine_tuning"] - fractions["feature_extraction"]
    if abs(gain - _GAIN_MARGIN) <= 1e-6:
        return  # a gain of exactly the margin: float rounding decides, and either answer is right
    assert stated == (gain > _GAIN_MARGIN), (
        f"`fine_tuning_gained` is {stated}, but in `accuracies` fine-tuning scores {gain:+.3f} against feature "
        f"extraction: compare that difference with GAIN_MARGIN ({_GAIN_MARGIN:g}) again")
