"""Training across several processes (`MultiWorkerMirroredStrategy`) with a plain loop, since Keras 3's fit cannot.

`keras.Model.fit` (Keras 3.0 to at least 3.15) fails under
`tf.distribute.MultiWorkerMirroredStrategy` before the first step: it
reduces a nested data batch across workers, which the collective ops refuse
("Attempt to convert a value (PerReplica ...)"), and it reduces each scalar
metric along axis 0. See keras-team/keras#20585. `training.fit` therefore
sends multi-worker models here: the custom training loop of TensorFlow's
multi-worker guide (per-example losses averaged over the global batch,
gradients summed across workers by the optimizer), driving the same Keras
callbacks (early stopping, checkpoints, progress lines) as `model.fit` would.
"""

import numpy as np

from cnn_course.settings import import_keras, import_tensorflow_quietly

keras = import_keras()


def _per_example_loss(model):
    """A function `(y, y_pred) -> per-example losses` for the model's compiled loss."""
    loss = keras.losses.get(model.loss)
    if isinstance(loss, keras.losses.Loss):
        return loss.call
    return loss


def _correct(model, y, y_pred):
    """Per-example 1.0/0.0 for a right/wrong prediction, as Keras's "accuracy" decides it for this loss."""
    tf = import_tensorflow_quietly()
    y_pred = tf.cast(y_pred, "float32")
    if y_pred.shape[-1] == 1:  # one sigmoid unit: threshold 0.5
        return tf.cast(tf.equal(tf.cast(y_pred[:, 0] > 0.5, "float32"), tf.reshape(tf.cast(y, "float32"), [-1])),
                       "float32")
    predicted = tf.argmax(y_pred, axis=-1)
    if len(y.shape) == len(y_pred.shape) and y.shape[-1] == y_pred.shape[-1]:  # one-hot labels
        return tf.cast(tf.equal(predicted, tf.argmax(y, axis=-1)), "float32")
    return tf.cast(tf.equal(predicted, tf.reshape(tf.cast(y, "int64"), [-1])), "float32")


def _wants_accuracy(model):
    metrics = (model.get_compile_config() or {}).get("metrics") or []
    return any(m in ("accuracy", "acc") for m in keras.tree.flatten(metrics))


def _step_functions(model, strategy):
    """The distributed train and test steps: each returns (loss sum, examples, correct) over all workers."""
    tf = import_tensorflow_quietly()
    per_example_loss = _per_example_loss(model)

    def sums(y, y_pred, losses):
        return tf.reduce_sum(losses), tf.cast(tf.shape(losses)[0], "float32"), tf.reduce_sum(_correct(model, y, y_pred))

    def train_step(x, y):
        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            losses = tf.cast(per_example_loss(y, y_pred), "float32")
            loss = tf.nn.compute_average_loss(losses)  # divided by the global batch, not the local one
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            scaled = model.optimizer.scale_loss(loss)  # mixed precision: loss scaling
        gradients = tape.gradient(scaled, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))  # summed across workers
        return sums(y, y_pred, losses)

    def test_step(x, y):
        y_pred = model(x, training=False)
        return sums(y, y_pred, tf.cast(per_example_loss(y, y_pred), "float32"))

    def distributed(step):
        @tf.function
        def run(x, y):
            results = strategy.run(step, args=(x, y))
            return [strategy.reduce("SUM", r, axis=None) for r in results]
        return run

    return distributed(train_step), distributed(test_step)


def _epoch(run, dataset, accuracy, prefix=""):
    totals = np.zeros(3)
    for x, y in dataset:
        totals += [float(v) for v in run(x, y)]
    loss_sum, count, correct = totals
    logs = {prefix + "loss": loss_sum / max(count, 1.0)}
    if accuracy:
        logs[prefix + "accuracy"] = correct / max(count, 1.0)
    return logs


def fit_loop(model, train, validation, epochs, callbacks):
    """Train `model` for `epochs` epochs on every worker in step, calling Keras `callbacks` like `model.fit`.

    Used by `training.fit` when the model was built under a multi-worker
    strategy; call that instead. Every worker must run the same script with
    the same seed and data: each reads its own shard of every global batch.

    Args:
        model: a model built and compiled inside a `MultiWorkerMirroredStrategy` scope.
        train: a `tf.data.Dataset` of `(images, labels)` batches of the global batch size.
        validation: an optional dataset like `train`.
        epochs: number of epochs.
        callbacks: a list of Keras callbacks (`EarlyStopping` may stop training
            and restore the best weights; checkpoints should write on the chief only).

    Returns:
        The Keras `History` of the run.
    """
    strategy = model.distribute_strategy
    train_run, test_run = _step_functions(model, strategy)
    accuracy = _wants_accuracy(model)
    train_data = strategy.experimental_distribute_dataset(train)
    validation_data = None if validation is None else strategy.experimental_distribute_dataset(validation)
    callback_list = keras.callbacks.CallbackList(list(callbacks), add_history=True, model=model,
                                                 epochs=epochs, verbose=0, steps=None)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        logs = _epoch(train_run, train_data, accuracy)
        if validation_data is not None:
            logs.update(_epoch(test_run, validation_data, accuracy, prefix="val_"))
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return model.history
