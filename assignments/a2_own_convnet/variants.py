"""Submissions that test the checks of A2: wrong answers with the checks each must fail, and
correct variants that must keep full marks. Each is a list of text replacements on the reference
(the master without its check cells); every `old` text occurs exactly once in it.

The tests grade the first three wrong answers and the first correct variant (`cnn-course assignment
samples` writes them all): the design questions come first.
"""

# The lines of the reference that the variants change.
_EPOCHS = "EPOCHS = 10  # 0.68 M multiply-adds per image x 3,500 digits x 10 epochs: 24 billion, well within the budget"
_FIRST_CONV = 'keras.layers.Conv2D(16, kernel_size=3, activation="relu"),  # (batch, 26, 26, 16)       160'
_SECOND_CONV = 'keras.layers.Conv2D(32, kernel_size=3, activation="relu"),  # (batch, 11, 11, 32)     4,640'
_SOFTMAX_HEAD = 'keras.layers.Dense(10, activation="softmax"),  # (batch, 10): a probability per digit      330'
_COMPILE = 'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
_FIT = """history = model.fit(x_train, y_train, epochs=train_epochs, batch_size=BATCH_SIZE,
                    validation_data=(x_val, y_val), verbose=2)"""
_SEQUENTIAL = """model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),  # (batch, 28, 28, 1)
        keras.layers.Conv2D(16, kernel_size=3, activation="relu"),  # (batch, 26, 26, 16)       160
        keras.layers.MaxPooling2D(pool_size=2),  # (batch, 13, 13, 16)
        keras.layers.Conv2D(32, kernel_size=3, activation="relu"),  # (batch, 11, 11, 32)     4,640
        keras.layers.MaxPooling2D(pool_size=2),  # (batch, 5, 5, 32)
        keras.layers.Flatten(),  # (batch, 800)
        keras.layers.Dense(32, activation="relu"),  # (batch, 32)                             25,632
        keras.layers.Dense(10, activation="softmax"),  # (batch, 10): a probability per digit      330
    ]
)"""

_FUNCTIONAL = """inputs = keras.Input(shape=(28, 28, 1))
x = keras.layers.Conv2D(16, (3, 3), activation="relu")(inputs)
x = keras.layers.MaxPool2D((2, 2))(x)
x = keras.layers.Conv2D(32, (3, 3), activation="relu")(x)
x = keras.layers.MaxPool2D((2, 2))(x)
x = keras.layers.Flatten()(x)
x = keras.layers.Dense(32, activation="relu")(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="my_convnet")"""

# Question 1's network as the design: it fits both constraints (34,826 parameters, 2.44 M multiply-adds).
_LECTURE_NETWORK = """model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ]
)"""

# Own layer names, separate ReLU and Softmax layers, a loss object.
_SEPARATE_ACTIVATIONS = """model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 3, name="edges"),
        keras.layers.ReLU(name="edges_relu"),
        keras.layers.MaxPooling2D(2, name="pool_a"),
        keras.layers.Conv2D(32, 3, name="parts"),
        keras.layers.Activation("relu", name="parts_relu"),
        keras.layers.MaxPooling2D(2, name="pool_b"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(32, activation="relu", name="hidden"),
        keras.layers.Dense(10, name="scores"),
        keras.layers.Softmax(name="probabilities"),
    ],
    name="digits",
)"""

VARIANTS = [
    # --- wrong answers -------------------------------------------------------------------
    # padding="same" keeps 7x7 maps for Flatten: 1,568 x 32 weights in the hidden Dense layer, 55,338 in all.
    {"name": "over_50k_parameters", "kind": "wrong",
     "replace": [(_FIRST_CONV, _FIRST_CONV.replace('activation="relu"', 'padding="same", activation="relu"')),
                 (_SECOND_CONV, _SECOND_CONV.replace('activation="relu"', 'padding="same", activation="relu"'))],
     "fails": ["q2.parameters_within_limit"]},
    # A wide first layer at full size (28x28x64) before the reference's: 7.27 M multiply-adds per image,
    # x 3,500 x 20 epochs = 509 billion. 40,474 parameters: only the budget is broken.
    {"name": "over_training_budget", "kind": "wrong",
     "replace": [(_EPOCHS, "EPOCHS = 20"),
                 (_FIRST_CONV, 'keras.layers.Conv2D(64, 3, padding="same", activation="relu"),\n        '
                               'keras.layers.Conv2D(16, 3, activation="relu"),')],
     "fails": ["q2.training_cost_within_budget"]},
    # The training cell commented out: `history` is never set and the model keeps its random weights
    # (its q5 answers still agree with it).
    {"name": "untrained_model", "kind": "wrong",
     "replace": [(_FIT, "# " + _FIT.replace("\n", "\n# "))],
     "fails": ["q4.trained_as_asked", "q4.validation_accuracy_reached", "q5.test_accuracy_reached"]},
    # More epochs than MAX_EPOCHS: over the budget whatever the network (trains 2 epochs in quick mode).
    {"name": "too_many_epochs", "kind": "wrong",
     "replace": [(_EPOCHS, "EPOCHS = 30")],
     "fails": ["q2.training_cost_within_budget"]},
    # A dense network: within both constraints, but not a convnet.
    {"name": "no_convolution", "kind": "wrong",
     "replace": [(_SEQUENTIAL, """model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                          keras.layers.Dense(48, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])""")],
     "fails": ["q2.design_is_a_convnet_for_digits"]},
    {"name": "shapes_with_same_padding", "kind": "wrong",
     "replace": [("[(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,), (10,)]",
                  "[(28, 28, 32), (14, 14, 32), (14, 14, 64), (7, 7, 64), (3136,), (10,)]")],
     "fails": ["q1.output_shapes_by_hand"]},
    {"name": "counts_without_biases", "kind": "wrong",
     "replace": [("[(3 * 3 * 1 + 1) * 32, 0, (3 * 3 * 32 + 1) * 64, 0, 0, (5 * 5 * 64 + 1) * 10]",
                  "[3 * 3 * 1 * 32, 0, 3 * 3 * 32 * 64, 0, 0, 5 * 5 * 64 * 10]")],
     "fails": ["q1.total_params_by_hand", "q1.params_per_layer_by_hand"]},
    # Keras's loss quietly takes the logits from under a sigmoid or softmax output, so these two
    # train exactly like the reference: only the check of the output layer catches them.
    {"name": "sigmoid_output", "kind": "wrong",
     "replace": [(_SOFTMAX_HEAD, 'keras.layers.Dense(10, activation="sigmoid"),')],
     "fails": ["q3.output_layer_fits_loss"]},
    {"name": "softmax_with_from_logits", "kind": "wrong",
     "replace": [(_COMPILE, 'model.compile(optimizer="adam", metrics=["accuracy"], '
                            'loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))')],
     "fails": ["q3.output_layer_fits_loss"]},
    # Keras's fit rejects binary crossentropy for (n,) labels and (n, 10) outputs: `history` is
    # never set and the model stays untrained (its q5 answers still agree with it).
    {"name": "binary_crossentropy", "kind": "wrong",
     "replace": [(_COMPILE, _COMPILE.replace("sparse_categorical_crossentropy", "binary_crossentropy"))],
     "fails": ["q3.loss_fits_labels", "q4.trained_as_asked", "q4.validation_accuracy_reached",
               "q5.test_accuracy_reached"]},
    {"name": "no_validation_data", "kind": "wrong",
     "replace": [("validation_data=(x_val, y_val), ", "")],
     "fails": ["q4.trained_as_asked"]},
    # One-hot labels with categorical crossentropy: trains as well, but not the question's labels and loss;
    # the feedback must say what the student did (one-hot labels), not the opposite.
    {"name": "one_hot_labels", "kind": "wrong",
     "replace": [(_COMPILE, "y_train = keras.utils.to_categorical(y_train, 10)\n"
                            "y_val = keras.utils.to_categorical(y_val, 10)\n"
                            + _COMPILE.replace("sparse_categorical_crossentropy", "categorical_crossentropy"))],
     "fails": ["q3.loss_fits_labels", "q5.validation_accuracy_value"]},
    {"name": "accuracy_in_percent", "kind": "wrong",
     "replace": [("val_accuracy = float(np.mean(predicted_classes == y_val))",
                  "val_accuracy = 100 * float(np.mean(predicted_classes == y_val))")],
     "fails": ["q5.validation_accuracy_value"]},
    # --- correct variants ----------------------------------------------------------------
    {"name": "functional_api", "kind": "correct",
     "replace": [(_SEQUENTIAL, _FUNCTIONAL)],
     "fails": []},
    {"name": "lecture_network", "kind": "correct",
     "replace": [(_SEQUENTIAL, _LECTURE_NETWORK), (_EPOCHS, "EPOCHS = 8")],
     "fails": []},
    {"name": "logits_and_from_logits", "kind": "correct",
     "replace": [(_SOFTMAX_HEAD, "keras.layers.Dense(10),  # (batch, 10): raw scores, logits"),
                 (_COMPILE, 'model.compile(optimizer="adam", metrics=["accuracy"], '
                            'loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))')],
     "fails": []},
    {"name": "separate_activation_layers", "kind": "correct",
     "replace": [(_SEQUENTIAL, _SEPARATE_ACTIVATIONS),
                 (_COMPILE, 'model.compile(optimizer="adam", metrics=["accuracy"], '
                            'loss=keras.losses.SparseCategoricalCrossentropy())')],
     "fails": []},
    {"name": "other_seed_and_spellings", "kind": "correct",
     "replace": [("SEED = set_seed(0)", "SEED = set_seed(1)"),
                 ("[(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,), (10,)]",
                  "[(None, 26, 26, 32), [13, 13, 32], (11, 11, 64), (5, 5, 64), 1600, (None, 10)]"),
                 ("[(3 * 3 * 1 + 1) * 32, 0, (3 * 3 * 32 + 1) * 64, 0, 0, (5 * 5 * 64 + 1) * 10]",
                  "[320, 0, 18496, 0, 0, 16010]"),
                 ('loss="sparse_categorical_crossentropy"', "loss=keras.losses.sparse_categorical_crossentropy"),
                 ("predicted_classes = scores.argmax(axis=1)", "predicted_classes = np.argmax(scores, axis=-1)"),
                 ("val_accuracy = float(np.mean(predicted_classes == y_val))",
                  "val_accuracy = model.evaluate(x_val, y_val, verbose=0)[1]")],
     "fails": []},
]
