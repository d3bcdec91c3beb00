"""A training run for tests/test_devices.py, started in a child process (device settings are per process).

    python tests/distributed_worker.py mirrored OUT.npz
        trains the same seeded convnet on one device and, with the CPU split in two
        logical devices, under MirroredStrategy (with early stopping and a checkpoint
        next to OUT); saves both sets of weights.
    python tests/distributed_worker.py worker OUT.npz INDEX PORT0,PORT1
        one worker of a two-process MultiWorkerMirroredStrategy cluster on 127.0.0.1;
        saves its weights and losses (the chief also writes a checkpoint next to OUT).
"""

import json
import os
import sys


def examples():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (64, 16, 16, 3), dtype="uint8")
    y = np.arange(64) % 4
    x[y == 1, :8] //= 4  # a pattern to learn: darker top half for class 1, darker left half for class 2
    x[y == 2, :, :8] //= 4
    return x, y


def train(strategy, batch_size, **fit_kwargs):
    from cnn_course import data, models, reproducibility, training

    reproducibility.set_seed(0)
    x, y = examples()
    with strategy.scope():
        model = models.compile_for_task(models.build_convnet((16, 16, 3), num_classes=4, filters=(8, 16),
                                                             batchnorm=True), "multiclass")
    train_set = data.make_dataset(x[:48], y[:48], batch_size=batch_size, shuffle=False)
    validation = data.make_dataset(x[48:], y[48:], batch_size=batch_size, shuffle=False)
    history = training.fit(model, train_set, validation, epochs=4, verbose=0, **fit_kwargs)
    return model, history


def weights(model):
    import numpy as np

    return {f"w{i}": np.asarray(w) for i, w in enumerate(model.get_weights())}


def main(argv):
    mode, out = argv[0], argv[1]
    if mode == "worker":
        index, ports = int(argv[2]), argv[3].split(",")
        # Before TensorFlow starts: the cluster is read once, when the strategy is made.
        os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                                              "task": {"type": "worker", "index": index}})
    import cnn_course  # noqa: F401  (sets TensorFlow's flags first)
    import numpy as np

    from cnn_course import devices

    if mode == "mirrored":
        devices.use_logical_cpus(2)
        import tensorflow as tf

        one, _ = train(tf.distribute.get_strategy(), batch_size=16)
        two_strategy = devices.choose_strategy()
        assert two_strategy.num_replicas_in_sync == 2, two_strategy
        checkpoint = os.path.join(os.path.dirname(out), "best_mirrored.keras")
        two, history = train(two_strategy, batch_size=devices.global_batch_size(8, two_strategy), patience=10,
                             checkpoint=checkpoint)
        np.savez(out, **{f"one_{k}": v for k, v in weights(one).items()},
                 **{f"two_{k}": v for k, v in weights(two).items()}, loss=np.array(history.history["loss"]))
    elif mode == "worker":
        strategy = devices.choose_strategy()
        checkpoint = os.path.join(os.path.dirname(out), f"best_{index}.keras")
        model, history = train(strategy, batch_size=devices.global_batch_size(8, strategy), patience=10,
                               checkpoint=checkpoint)
        np.savez(out, **weights(model), loss=np.array(history.history["loss"]),
                 val_accuracy=np.array(history.history["val_accuracy"]),
                 replicas=strategy.num_replicas_in_sync, chief=devices.is_chief(strategy))
    else:
        raise SystemExit(f"unknown mode {mode!r}: expected 'mirrored' or 'worker'")


if __name__ == "__main__":
    main(sys.argv[1:])
