"""Submissions that test the checks of A5: wrong answers (and the exact checks each must fail), correct variants.

Each variant is the reference submission (the master without its check cells)
with the text replacements in `replace` applied; each `old` text occurs exactly
once in it. `cnn_course.grading.write_samples` writes them out.
"""

_FIELD_WIDTH_BODY = """    width, jump = 1, 1
    for kernel, stride in layers:
        width += (kernel - 1) * jump
        jump *= stride
    return width
"""
_RESIDUAL_BODY = """    y = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(filters, 3, padding="same")(y)
    return keras.layers.Activation("relu")(keras.layers.Add()([x, y]))
"""
_KERNEL_NORM_BODY = """    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(k))) for k in kernels)))
"""
_BATCH_STATISTICS = "batch_mean, batch_variance = bn_input.mean(axis=0), bn_input.var(axis=0)"
_EARLY_STOPPING = ('early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=PATIENCE, '
                   'restore_best_weights=True)')

VARIANTS = [
    # ---- wrong: one misunderstanding each
    {"name": "field_width_multiplies_the_jump_first", "kind": "wrong",
     "replace": [(_FIELD_WIDTH_BODY, """    width, jump = 1, 1
    for kernel, stride in layers:
        jump *= stride
        width += (kernel - 1) * jump
    return width
""")],
     "fails": ["q1.field_width_of_known_stacks", "q1.field_width_of_other_stacks"]},
    {"name": "field_width_by_hand_forgets_the_jump", "kind": "wrong",  # 1 + 2 + 2 + 1 + 2 + 2
     "replace": [("rf_by_hand = 14  # SOLUTION", "rf_by_hand = 10  # SOLUTION")],
     "fails": ["q1.field_width_by_hand"]},
    {"name": "one_by_one_without_bias", "kind": "wrong",
     "replace": [("params_1x1 = (1 * 1 * 256 + 1) * 64  # SOLUTION", "params_1x1 = 1 * 1 * 256 * 64  # SOLUTION")],
     "fails": ["q2.one_by_one_params"]},
    {"name": "inception_convolutions_without_biases", "kind": "wrong",
     "replace": [("        return (kernel * kernel * channels + 1) * filters",
                  "        return kernel * kernel * channels * filters")],
     "fails": ["q2.inception_module_3a", "q2.inception_params_with_reductions",
               "q2.inception_params_without_reductions"]},
    {"name": "no_reduction_still_on_reduced_channels", "kind": "wrong",
     "replace": [("        total += conv(3, in_channels, f3) + conv(5, in_channels, f5)",
                  "        total += conv(3, f3_reduce, f3) + conv(5, f5_reduce, f5)")],
     "fails": ["q2.inception_module_3a", "q2.inception_params_without_reductions"]},
    {"name": "naive_module_keeps_the_pool_projection", "kind": "wrong",
     "replace": [("    total = conv(1, in_channels, f1)\n",
                  "    total = conv(1, in_channels, f1) + conv(1, in_channels, pool_proj)\n"),
                 ("        total += conv(1, in_channels, pool_proj)\n", "")],
     "fails": ["q2.inception_module_3a", "q2.inception_params_without_reductions"]},
    {"name": "residual_block_without_the_skip", "kind": "wrong",
     "replace": [(_RESIDUAL_BODY, """    y = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    y = keras.layers.Conv2D(filters, 3, padding="same")(y)
    return keras.layers.Activation("relu")(y)
""")],
     "fails": ["q3.residual_block_shape_and_parameters", "q3.both_stacks_trained",
               "q3.residual_block_computes_relu_of_x_plus_f", "q3.residual_stack_trains",
               "q3.residual_stack_accuracy"]},
    {"name": "batchnorm_at_test_time_with_batch_statistics", "kind": "wrong",
     "replace": [("    return gamma * (x - moving_mean) / np.sqrt(moving_variance + epsilon) + beta",
                  "    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon) + beta")],
     "fails": ["q4.batchnorm_at_test_time", "q4.batchnorm_inference_on_other_inputs"]},
    {"name": "batchnorm_training_variance_divided_by_n_minus_1", "kind": "wrong",
     "replace": [(_BATCH_STATISTICS,
                  "batch_mean, batch_variance = bn_input.mean(axis=0), bn_input.var(axis=0, ddof=1)")],
     "fails": ["q4.batchnorm_at_training_time"]},
    {"name": "dropout_scale_is_the_keep_rate", "kind": "wrong",
     "replace": [("dropout_kept_scale = 1 / (1 - 0.25)  # SOLUTION", "dropout_kept_scale = 1 - 0.25  # SOLUTION")],
     "fails": ["q4.dropout_at_both_times"]},
    {"name": "kernel_norm_with_the_biases", "kind": "wrong",
     "replace": [(_KERNEL_NORM_BODY, """    weights = [w for layer in model.layers for w in layer.get_weights()]
    return float(np.sqrt(sum(np.sum(np.square(w)) for w in weights)))
""")],
     "fails": ["q5.weight_norms_of_the_nets"]},
    {"name": "early_stopping_without_restoring_the_best_weights", "kind": "wrong",
     "replace": [(_EARLY_STOPPING, _EARLY_STOPPING.replace("restore_best_weights=True", "restore_best_weights=False"))],
     "fails": ["q6.best_weights_restored"]},
    {"name": "best_epoch_counted_from_zero", "kind": "wrong",
     "replace": [('best_epoch = int(np.argmin(stop_history.history["val_loss"])) + 1  # SOLUTION',
                  'best_epoch = int(np.argmin(stop_history.history["val_loss"]))  # SOLUTION')],
     "fails": ["q6.best_epoch_read_from_the_history"]},
    # ---- correct: other seeds and other ways to write the same thing
    {"name": "seed_1", "kind": "correct",
     "replace": [("SEED = set_seed(0)", "SEED = set_seed(1)")], "fails": []},
    {"name": "field_width_from_the_top_down", "kind": "correct",
     "replace": [(_FIELD_WIDTH_BODY, """    width = 1  # one unit of the last layer, walked back to the image
    for kernel, stride in reversed(layers):
        width = (width - 1) * stride + kernel
    return width
""")], "fails": []},
    {"name": "residual_block_with_add_function_and_relu_layer", "kind": "correct",
     "replace": [(_RESIDUAL_BODY, """    shortcut = x
    x = keras.layers.Conv2D(filters, kernel_size=(3, 3), padding="same")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(filters, kernel_size=(3, 3), padding="same", activation=None)(x)
    x = keras.layers.add([shortcut, x])
    return keras.layers.ReLU()(x)
""")], "fails": []},
    {"name": "numbers_from_keras_and_norms_by_concatenation", "kind": "correct",
     "replace": [("params_1x1 = (1 * 1 * 256 + 1) * 64  # SOLUTION",
                  "params_1x1 = 16_448  # SOLUTION"),
                 (_BATCH_STATISTICS,
                  "batch_mean, batch_variance = np.mean(bn_input, axis=0), np.std(bn_input, axis=0) ** 2"),
                 (_KERNEL_NORM_BODY, """    kernels = [layer.get_weights()[0].ravel() for layer in model.layers
               if layer.get_weights()]
    return float(np.linalg.norm(np.concatenate(kernels)))
"""),
                 ("dropout_kept_scale = 1 / (1 - 0.25)  # SOLUTION", "dropout_kept_scale = 4 / 3  # SOLUTION"),
                 ('best_epoch = int(np.argmin(stop_history.history["val_loss"])) + 1  # SOLUTION',
                  'best_epoch = stop_history.epoch[int(np.argmin(stop_history.history["val_loss"]))] + 1  # SOLUTION')],
     "fails": []},
]
