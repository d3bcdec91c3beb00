"""Submissions that test the checks of A2: wrong answers with the checks each must fail, and
correct variants that must keep full marks. Each is a list of text replacements on the reference
(the master without its check cells); every `old` text occurs exactly once in it.
"""

# The lines of the reference that the variants change.
_SOFTMAX_HEAD = 'keras.layers.Dense(10, activation="softmax"),  # (batch, 10): a probability per digit'
_COMPILE = 'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
_SECOND_POOL = "        keras.layers.MaxPooling2D(pool_size=2),  # (batch, 5, 5, 64)\n"
_FLATTEN = "        keras.layers.Flatten(),  # (batch, 1600)\n"
_SEQUENTIAL = """model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),  # (batch, 28, 28, 1)
        keras.layers.Conv2D(32, kernel_size=3, activation="relu"),  # (batch, 26, 26, 32)
        keras.layers.MaxPooling2D(pool_size=2),  # (batch, 13, 13, 32)
        keras.layers.Conv2D(64, kernel_size=3, activation="relu"),  # (batch, 11, 11, 64)
        keras.layers.MaxPooling2D(pool_size=2),  # (batch, 5, 5, 64)
        keras.layers.Flatten(),  # (batch, 1600)
        keras.layers.Dense(10, activation="softmax"),  # (batch, 10): a probability per digit
    ]
)"""

_FUNCTIONAL = """inputs = keras.Input(shape=(28, 28, 1))
x = keras.layers.Conv2D(32, (3, 3), activation="relu")(inputs)
x = keras.layers.MaxPool2D((2, 2))(x)
x = keras.layers.Conv2D(64, (3, 3), activation="relu")(x)
x = keras.layers.MaxPool2D((2, 2))(x)
x = keras.layers.Flatten()(x)
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="my_convnet")"""

# Own layer names, separate ReLU and Softmax layers, a loss object.
_SEPARATE_ACTIVATIONS = """model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, name="edges"),
        keras.layers.ReLU(name="edges_relu"),
        keras.layers.MaxPooling2D(2, name="pool_a"),
        keras.layers.Conv2D(64, 3, name="parts"),
        keras.layers.Activation("relu", name="parts_relu"),
        keras.layers.MaxPooling2D(2, name="pool_b"),
        keras.layers.Flatten(name="flat"),
        keras.layers.Dense(10, name="scores"),
        keras.layers.Softmax(name="probabilities"),
    ],
    name="digits",
)"""

VARIANTS = [
    # --- wrong answers -------------------------------------------------------------------
    {"name": "shapes_with_same_padding", "kind": "wrong",
     "replace": [("[(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (1600,), (10,)]",
                  "[(28, 28, 32), (14, 14, 32), (14, 14, 64), (7, 7, 64), (3136,), (10,)]")],
     "fails": ["q1.output_shapes_by_hand"]},
    {"name": "counts_without_biases", "kind": "wrong",
     "replace": [("[(3 * 3 * 1 + 1) * 32, 0, (3 * 3 * 32 + 1) * 64, 0, 0, (5 * 5 * 64 + 1) * 10]",
                  "[3 * 3 * 1 * 32, 0, 3 * 3 * 32 * 64, 0, 0, 5 * 5 * 64 * 10]")],
     "fails": ["q1.total_params_by_hand", "q1.params_per_layer_by_hand"]},
    {"name": "missing_second_pooling", "kind": "wrong",
     "replace": [(_SECOND_POOL, "")],
     "fails": ["q2.layers_in_order", "q2.output_shapes_of_model", "q2.parameter_count_of_model"]},
    {"name": "same_padding_in_model", "kind": "wrong",
     "replace": [('Conv2D(32, kernel_size=3, activation="relu")',
                  'Conv2D(32, kernel_size=3, activation="relu", padding="same")'),
                 ('Conv2D(64, kernel_size=3, activation="relu")',
                  'Conv2D(64, kernel_size=3, activation="relu", padding="same")')],
     "fails": ["q2.output_shapes_of_model", "q2.parameter_count_of_model"]},
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
    # Dense applied to the (5, 5, 64) maps: outputs (5, 5, 10) per image, fit raises, nothing trains.
    {"name": "dense_without_flatten", "kind": "wrong",
     "replace": [(_FLATTEN, "")],
     "fails": ["q2.layers_in_order", "q2.output_shapes_of_model", "q2.parameter_count_of_model",
               "q4.trained_as_asked", "q4.validation_accuracy_reached",
               "q5.predicted_classes_of_model", "q5.validation_accuracy_value", "q5.test_accuracy_reached"]},
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
    {"name": "separate_activation_layers", "kind": "correct",
     "replace": [(_SEQUENTIAL, _SEPARATE_ACTIVATIONS),
                 (_COMPILE, 'model.compile(optimizer="adam", metrics=["accuracy"], '
                            'loss=keras.losses.SparseCategoricalCrossentropy())')],
     "fails": []},
    {"name": "logits_and_from_logits", "kind": "correct",
     "replace": [(_SOFTMAX_HEAD, "keras.layers.Dense(10),  # (batch, 10): raw scores, logits"),
                 (_COMPILE, 'model.compile(optimizer="adam", metrics=["accuracy"], '
                            'loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))')],
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
