"""Devices and strategies: several replicas give the one-device model; mixed precision, XLA and checks.

The two distributed tests start child processes (tests/distributed_worker.py): a
process's devices are fixed once TensorFlow's runtime starts, and a
multi-worker cluster needs one process per worker.
"""

import cnn_course  # noqa: F401  (sets TensorFlow's flags before keras is imported)

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.framework.config import is_op_determinism_enabled  # what Keras itself reads

from cnn_course import devices, models, reproducibility, settings

WORKER = pathlib.Path(__file__).with_name("distributed_worker.py")
TIME_LIMIT = 150  # seconds for one child process; it is killed after that


def _run(args, **kwargs):
    """Start the worker script; return the Popen (output captured)."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("TF_CONFIG", None)
    return subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, **kwargs)


def _finish(processes):
    """Wait for every process until the shared deadline; kill all and fail if one is late or fails."""
    deadline = time.monotonic() + TIME_LIMIT
    outputs = []
    try:
        for process in processes:
            out, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outputs.append(out)
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
            process.communicate()
        pytest.fail(f"a training process did not finish within {TIME_LIMIT} s; killed")
    for process, out in zip(processes, outputs):
        assert process.returncode == 0, out[-3000:]
    return outputs


def _weights(archive, prefix=""):
    return [archive[key] for key in sorted((k for k in archive if k.startswith(prefix + "w")),
                                           key=lambda k: int(k[len(prefix) + 1:]))]


@pytest.mark.trains
def test_mirrored_strategy_on_two_logical_cpus_trains_the_one_device_model(tmp_path):
    out = tmp_path / "mirrored.npz"
    (log,) = _finish([_run(["mirrored", str(out)])])
    assert "MirroredStrategy" in log and "2 replica(s)" in log
    result = np.load(out)
    one, two = _weights(result, "one_"), _weights(result, "two_")
    assert len(one) == len(two) > 4  # kernels, biases and (synchronised) batch-norm statistics
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    loss = result["loss"]
    assert loss[-1] < loss[0]  # it learned something, so the agreement is not two untrained models
    saved = keras.models.load_model(tmp_path / "best_mirrored.keras")  # the checkpoint of the 2-device run
    assert len(saved.get_weights()) == len(two)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.mark.trains
def test_multi_worker_strategy_two_processes_end_with_identical_weights(tmp_path):
    ports = ",".join(str(p) for p in _free_ports(2))
    outs = [tmp_path / f"worker{i}.npz" for i in range(2)]
    logs = _finish([_run(["worker", str(out), str(i), ports]) for i, out in enumerate(outs)])
    assert all("MultiWorkerMirroredStrategy" in log for log in logs)
    first, second = (np.load(out) for out in outs)
    assert int(first["replicas"]) == int(second["replicas"]) == 2
    for a, b in zip(_weights(first), _weights(second), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first["loss"], second["loss"])
    assert first["loss"][-1] < first["loss"][0]
    # Only the chief (worker 0) writes the checkpoint.
    assert (bool(first["chief"]), bool(second["chief"])) == (True, False)
    assert (tmp_path / "best_0.keras").is_file() and not (tmp_path / "best_1.keras").exists()


def test_choose_strategy_on_one_device_is_the_default(capsys):
    strategy = devices.choose_strategy()
    assert strategy is tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert "Strategy: default" in capsys.readouterr().out


def test_unreadable_tf_config_names_the_variable_and_the_fix(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"chief": []}}')
    with pytest.raises(ValueError, match=r"TF_CONFIG.*Received: TF_CONFIG=.*unset it"):
        devices.choose_strategy()


def test_a_one_worker_tf_config_keeps_the_default_strategy(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["127.0.0.1:1"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert devices.plan_strategy()[0] == "default"


def test_splitting_the_cpu_after_start_up_says_to_restart():
    tf.constant(1.0)  # the runtime has started in this process
    with pytest.raises(RuntimeError, match="restart the kernel"):
        devices.use_logical_cpus(len(tf.config.list_logical_devices("CPU")) + 2)


def test_global_batch_and_learning_rate_follow_the_replica_count():
    class Two:
        num_replicas_in_sync = 2

    assert devices.global_batch_size(32, Two()) == 64
    assert devices.global_batch_size(32) == 32  # default strategy: one replica
    assert devices.scaled_learning_rate(1e-3, global_batch=64, reference_batch=32) == pytest.approx(2e-3)
    assert devices.scaled_learning_rate(0.1, global_batch=32, reference_batch=256) == pytest.approx(0.0125)
    with pytest.raises(ValueError, match="per_replica"):
        devices.global_batch_size(0)
    with pytest.raises(ValueError, match="learning_rate"):
        devices.scaled_learning_rate(-1.0, 64, 32)


def test_mixed_precision_stays_off_without_a_gpu(capsys):
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    assert devices.use_mixed_precision("auto") == "float32"
    assert keras.mixed_precision.global_policy().name == "float32"
    assert "no GPU visible" in capsys.readouterr().out
    with pytest.raises(ValueError, match="enable"):
        devices.use_mixed_precision("yes")


def test_builders_keep_the_output_layer_in_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = models.build_convnet((16, 16, 3), num_classes=4, filters=(8,), batchnorm=True)
        dense = models.build_dense((8, 8, 1), num_classes=3)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.get_layer("block1_conv1").compute_dtype == "float16"
    assert model.get_layer("block1_conv1").variable_dtype == "float32"
    assert model.get_layer("output").compute_dtype == "float32"
    assert model.output.dtype == "float32"
    assert dense.get_layer("output").compute_dtype == "float32"
    plain = models.build_convnet((16, 16, 3), num_classes=4, filters=(8,))
    assert plain.get_layer("output").compute_dtype == "float32" and devices.output_dtype() is None


def test_batch_norm_is_synchronised_only_under_several_replicas():
    model = models.build_convnet((16, 16, 3), num_classes=4, filters=(8,), batchnorm=True)
    assert model.get_layer("block1_bn1").synchronized is False


def test_compile_for_task_passes_the_xla_choice():
    model = models.build_convnet((16, 16, 3), num_classes=4, filters=(8,))
    # Keras turns XLA off (with a warning) while deterministic ops are on, e.g. after set_seed() in this process.
    deterministic = is_op_determinism_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert models.compile_for_task(model, "multiclass", jit_compile=True).jit_compile is (not deterministic)
    assert models.compile_for_task(model, "multiclass", jit_compile=False).jit_compile is False
    with pytest.raises(ValueError, match="jit_compile"):
        models.compile_for_task(model, "multiclass", jit_compile="xla")


def test_determinism_refusal_is_explained_and_other_errors_are_left_alone():
    refusal = tf.errors.UnimplementedError(None, None, "Deterministic GPU implementation of unsorted "
                                                       "segment reduction op not available.")
    explained = reproducibility.determinism_error(refusal)
    assert isinstance(explained, RuntimeError)
    assert "unsorted segment reduction" in str(explained)
    assert "deterministic=False" in str(explained)
    assert reproducibility.determinism_error(tf.errors.UnimplementedError(None, None, "no such kernel")) is None
    assert reproducibility.determinism_error(ValueError("Deterministic")) is None


def test_check_reports_devices_strategy_precision_and_xla(capsys):
    assert settings.check_installation() == 0
    out = capsys.readouterr().out
    for label in ("GPUs", "Strategy", "Precision", "XLA"):
        assert any(line.startswith(label) for line in out.splitlines()), label
    assert "default on /device:CPU:0" in out or tf.config.list_physical_devices("GPU")
