"""Submissions that test the checks of A3: wrong answers with the exact checks each must fail,
and correct variants that must keep full marks. Each is a list of text replacements on the
reference (the master without its check cells); every `old` text occurs exactly once in it.
"""

# The lines of the reference that the variants change.
_SEED = "SEED = set_seed(0)"
_AUGMENTED = "augmented_model = small_convnet(augment)\n# END SOLUTION"
_FREEZE = "base.trainable = False\ninputs = keras.Input(shape=(64, 64, 3))"
_UNFREEZE_LOOP = """for layer in base.layers:
    layer.trainable = layer.name.startswith("block3")
"""
_RECOMPILE = """fine_tuned_model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                         loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""
_UNFREEZE_AND_RECOMPILE = "base.trainable = True\n" + _UNFREEZE_LOOP + _RECOMPILE
_BEST = "best_method = max(accuracies, key=accuracies.get)"

_SMALL_CONVNET = '''    layers = [keras.Input(shape=(64, 64, 3))]  # (batch, 64, 64, 3), values in [0, 1]
    if augment is not None:
        layers.append(augment)
    for filters in (16, 32, 64):  # (batch, 62, 62, 16) -> (31, 31, 16) ... (12, 12, 64) -> (6, 6, 64)
        layers.append(keras.layers.Conv2D(filters, 3, activation="relu"))
        layers.append(keras.layers.MaxPooling2D(2))
    layers += [
        keras.layers.Flatten(),  # (batch, 2304)
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),  # (batch, 4)
    ]
    model = keras.Sequential(layers, name="small_convnet")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
'''

# The functional API, own layer names, a separate softmax layer, logits into the loss.
_SMALL_CONVNET_FUNCTIONAL = '''    inputs = keras.Input(shape=(64, 64, 3), name="pixels")
    x = augment(inputs) if augment is not None else inputs
    for block, width in enumerate((16, 32, 64), start=1):
        x = keras.layers.Conv2D(width, (3, 3), activation="relu", name=f"c{block}")(x)
        x = keras.layers.MaxPool2D(pool_size=(2, 2), name=f"p{block}")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(64, activation="relu", name="hidden")(x)
    logits = keras.layers.Dense(4, name="logits")(x)
    model = keras.Model(inputs, logits, name="mine")
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
'''

_AUGMENT = '''augment = keras.Sequential([
    keras.layers.RandomFlip("horizontal"),  # mirror left-right, half of the time
    keras.layers.RandomZoom(0.1),  # zoom in or out by up to 10%
], name="augment")'''

_FEATURE_CLASSIFIER = '''feature_classifier = keras.Sequential([
    keras.Input(shape=train_features.shape[1:]),  # (batch, 6, 6, 128)
    keras.layers.Flatten(),  # (batch, 4608)
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
], name="feature_classifier")'''

_FEATURE_CLASSIFIER_FUNCTIONAL = '''feature_inputs = keras.Input(shape=(6, 6, 128), name="base_features")
h = keras.layers.Flatten(name="flatten_features")(feature_inputs)
h = keras.layers.Dense(64, activation="relu", name="fc")(h)
h = keras.layers.Dropout(0.5, name="drop")(h)
probabilities = keras.layers.Dense(4, activation="softmax", name="probs")(h)
feature_classifier = keras.Model(feature_inputs, probabilities)'''

_FINE_TUNED_MODEL = '''inputs = keras.Input(shape=(64, 64, 3))  # (batch, 64, 64, 3), values in [0, 1]
x = base(inputs, training=False)  # (batch, 6, 6, 128)
x = keras.layers.Flatten()(x)
x = keras.layers.Dense(64, activation="relu")(x)
x = keras.layers.Dropout(0.5)(x)
outputs = keras.layers.Dense(len(CLASS_NAMES), activation="softmax")(x)
fine_tuned_model = keras.Model(inputs, outputs, name="fine_tuned_model")'''

# A Sequential model around the base, frozen with the course's helper.
_FINE_TUNED_SEQUENTIAL = '''transfer.freeze(base)
fine_tuned_model = keras.Sequential([
    keras.Input(shape=(64, 64, 3)),
    base,
    keras.layers.Flatten(),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(4, activation="softmax"),
])'''

VARIANTS = [
    # --- wrong answers (the tests grade the first three) ---------------------------------
    {
        # Unfrozen, but not compiled again: Keras keeps training the head alone, at 1e-3.
        "name": "no_recompile_after_unfreezing",
        "kind": "wrong",
        "replace": [(_RECOMPILE, "")],
        "fails": ["q5.small_learning_rate_for_fine_tuning", "q5.compiled_again_after_unfreezing",
                  "q5.fine_tuning_changed_only_the_top_block"],
    },
    {
        # The base is never frozen: the head's training (at Adam's full learning rate)
        # changes the pretrained filters of every block.
        "name": "base_not_frozen",
        "kind": "wrong",
        "replace": [(_FREEZE, "inputs = keras.Input(shape=(64, 64, 3))")],
        "fails": ["q4.base_frozen_while_the_head_trained", "q4.head_training_kept_the_pretrained_filters",
                  "q5.fine_tuning_changed_only_the_top_block"],
    },
    {
        # The whole base unfrozen instead of its top block.
        "name": "unfroze_everything",
        "kind": "wrong",
        "replace": [(_UNFREEZE_LOOP, "")],
        "fails": ["q5.only_the_top_block_unfrozen", "q5.trainable_weights_while_fine_tuning",
                  "q5.fine_tuning_changed_only_the_top_block"],
    },
    {
        # Question 2 without augmentation: the same network trained again.
        "name": "no_augmentation",
        "kind": "wrong",
        "replace": [(_AUGMENTED, "augmented_model = small_convnet()\n# END SOLUTION")],
        "fails": ["q2.augmentation_layers_inside", "q2.augmentation_reduces_overfitting"],
    },
    {
        # min instead of max: the method with the lowest accuracy.
        "name": "best_method_is_the_worst",
        "kind": "wrong",
        "replace": [(_BEST, "best_method = min(accuracies, key=accuracies.get)")],
        "fails": ["q6.best_method_from_your_numbers"],
    },
    {
        # The accuracies in percent: one mistake (the unit), one point lost, not three; best_method
        # is right in the student's own numbers.
        "name": "accuracies_in_percent",
        "kind": "wrong",
        "replace": [(_BEST, "accuracies = {method: 100 * value for method, value in accuracies.items()}\n"
                     + _BEST)],
        "fails": ["q6.accuracies_of_the_four_methods"],
    },
    # --- correct variants (the tests grade the first two) -------------------------------
    {
        "name": "seed_1",
        "kind": "correct",
        "replace": [(_SEED, "SEED = set_seed(1)")],
    },
    {
        # cnn_course's helpers: make_augmentation, freeze, a Sequential model around the
        # base, and fine_tune (which unfreezes and compiles again in one call).
        "name": "course_helpers",
        "kind": "correct",
        "replace": [(_AUGMENT, "from cnn_course import augmentation\n\n"
                               "augment = augmentation.make_augmentation(zoom_range=0.1,\n"
                               "                                         horizontal_flip=True)"),
                    ("base.trainable = False\n" + _FINE_TUNED_MODEL, _FINE_TUNED_SEQUENTIAL),
                    (_UNFREEZE_AND_RECOMPILE,
                     'transfer.fine_tune(fine_tuned_model, base, from_layer="block3_conv1",\n'
                     '                   learning_rate=1e-4, optimizer="adam")\n')],
    },
    {
        # Functional models with own layer names, logits and a from_logits loss.
        "name": "functional_logits",
        "kind": "correct",
        "replace": [(_SMALL_CONVNET, _SMALL_CONVNET_FUNCTIONAL),
                    (_FEATURE_CLASSIFIER, _FEATURE_CLASSIFIER_FUNCTIONAL)],
    },
]
