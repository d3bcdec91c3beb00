"""Where training runs: the `tf.distribute` strategy, the batch size and learning rate per replica, mixed precision."""

import json
import os

from cnn_course._validation import check_choice, check_number, check_positive_int, check_verbose
from cnn_course._environment import import_keras, import_tensorflow_quietly

#: GPUs from this CUDA compute capability on have the tensor cores that make float16 fast.
MIXED_PRECISION_MIN_CAPABILITY = (7, 0)


def use_logical_cpus(count):
    """Split the CPU into `count` logical devices, to try several-device training on a laptop.

    TensorFlow treats all CPU cores as one device. Splitting it lets
    `MirroredStrategy` run `count` replicas on one machine, which is how the
    tests check that a model trained on two devices matches the one-device
    model. It does not make training faster: the replicas share the cores.

    It must run before TensorFlow starts its runtime, i.e. before any model,
    tensor or dataset is made in this process (`import cnn_course` alone is fine).

    Args:
        count: number of logical CPU devices, at least 1.

    Returns:
        The names of the logical CPU devices, e.g. `["/device:CPU:0", "/device:CPU:1"]`.

    Raises:
        ValueError: if `count` is not a positive integer.
        RuntimeError: if TensorFlow's runtime has already started; the message
            says to call this function first, in a fresh process (restart the
            notebook's kernel).

    Example:

    >>> from cnn_course import devices
    >>> devices.use_logical_cpus(2)  # doctest: +SKIP
    ['/device:CPU:0', '/device:CPU:1']
    """
    count = check_positive_int("count", count)
    tf = import_tensorflow_quietly()
    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError as exc:
        current = len(tf.config.list_logical_devices("CPU"))
        if current == count:
            return [d.name for d in tf.config.list_logical_devices("CPU")]
        raise RuntimeError(
            f"Cannot split the CPU into {count} logical devices: TensorFlow's runtime has already "
            f"started in this process with {current} CPU device(s) ({exc}). Call "
            f"devices.use_logical_cpus({count}) first, before building any model or dataset; in a "
            f"notebook, restart the kernel and run it in the first cell."
        ) from exc
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def _cluster_from_tf_config():
    """The worker count of the `TF_CONFIG` cluster (0 when unset), checked for a readable value."""
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        return 0
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"] + config["cluster"].get("chief", [])
        config["task"]["type"], int(config["task"]["index"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"The environment variable TF_CONFIG is set but is not a cluster description TensorFlow "
            f"can use ({type(exc).__name__}: {exc}). Received: TF_CONFIG={raw[:200]!r}. Expected JSON like "
            '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}. '
            "Fix it, or unset it to train on this machine alone."
        ) from exc
    return len(workers)


def plan_strategy():
    """Say which strategy `choose_strategy` would pick here, without creating it.

    Returns:
        A tuple `(kind, devices)`: kind is "MultiWorkerMirroredStrategy",
        "MirroredStrategy" or "default", and devices the device names the
        replicas of this process would use.

    Raises:
        ValueError: if `TF_CONFIG` is set but unreadable.
    """
    tf = import_tensorflow_quietly()
    if _cluster_from_tf_config() > 1:
        # Physical devices only: listing logical ones would start the runtime, and a multi-worker
        # strategy must be created before that.
        physical = [d.name for d in tf.config.list_physical_devices("GPU")]
        return "MultiWorkerMirroredStrategy", physical or [d.name for d in tf.config.list_physical_devices("CPU")]
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(gpus) > 1:
        return "MirroredStrategy", gpus
    if not gpus and len(cpus) > 1:
        return "MirroredStrategy", cpus
    return "default", gpus[:1] or cpus[:1]


def choose_strategy(verbose=True):
    """Pick the `tf.distribute` strategy that fits the devices this process can see, and say which.

    - a `TF_CONFIG` cluster of several workers (a lab's machines, each running
      the same script): `MultiWorkerMirroredStrategy`, one replica per worker;
    - several GPUs (or a CPU split with `use_logical_cpus`): `MirroredStrategy`,
      one replica per device, gradients summed across them every step;
    - one GPU or a plain CPU: TensorFlow's default strategy, i.e. no change.

    Build and compile the model inside `strategy.scope()`, batch the data with
    `global_batch_size(...)`, then train with `training.fit` as usual.

    Args:
        verbose: print one line saying what was chosen and why.

    Returns:
        A `tf.distribute.Strategy`.

    Raises:
        ValueError: if `TF_CONFIG` is set but unreadable.

    Example:

    >>> from cnn_course import devices
    >>> strategy = devices.choose_strategy()
    Strategy: default (one device: /device:CPU:0)...
    >>> strategy.num_replicas_in_sync
    1
    """
    verbose = check_verbose(verbose)
    tf = import_tensorflow_quietly()
    kind, names = plan_strategy()
    if kind == "MultiWorkerMirroredStrategy":
        communication = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.AUTO)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=communication)
        why = f"TF_CONFIG describes {_cluster_from_tf_config()} workers"
    elif kind == "MirroredStrategy":
        strategy = tf.distribute.MirroredStrategy(names)
        why = f"{len(names)} devices in this process"
    else:
        strategy = tf.distribute.get_strategy()
        why = "one device"
    if verbose:
        print(f"Strategy: {kind} ({why}: {', '.join(names)}); "
              f"{strategy.num_replicas_in_sync} replica(s) in sync.")
    return strategy


def global_batch_size(per_replica, strategy=None):
    """The batch size to give the dataset: `per_replica` examples for each replica in sync.

    Each step, `tf.distribute` splits one global batch between the replicas;
    TensorFlow's guides keep the batch per replica fixed and grow the global
    batch with the number of replicas, so that each device stays as busy as
    one device alone.

    Args:
        per_replica: examples per replica per step, a positive integer.
        strategy: the strategy (default: the one in scope, or TensorFlow's default).

    Returns:
        `per_replica * strategy.num_replicas_in_sync`.

    Example:

    >>> from cnn_course import devices
    >>> devices.global_batch_size(32)
    32
    """
    per_replica = check_positive_int("per_replica", per_replica)
    if strategy is None:
        strategy = import_tensorflow_quietly().distribute.get_strategy()
    return per_replica * strategy.num_replicas_in_sync


def scaled_learning_rate(learning_rate, global_batch, reference_batch):
    """Scale a learning rate tuned at one batch size to another (the linear scaling rule).

    With `k` times more examples per step there are `k` times fewer steps per
    epoch; multiplying the learning rate by `k` keeps the distance travelled
    per epoch about the same (Goyal et al., 2017, "Accurate, large minibatch
    SGD"). Use it when more replicas grow the global batch; past a few
    thousand examples per step, add a warm-up.

    Args:
        learning_rate: the rate that worked at `reference_batch`, a positive number.
        global_batch: the new global batch size.
        reference_batch: the batch size `learning_rate` was tuned for.

    Returns:
        `learning_rate * global_batch / reference_batch`, a float.

    Raises:
        ValueError: for a non-positive rate or batch size.

    Example:

    >>> from cnn_course import devices
    >>> devices.scaled_learning_rate(1e-3, global_batch=64, reference_batch=32)
    0.002
    """
    learning_rate = check_number("learning_rate", learning_rate, low=0, low_open=True, expected="a positive number",
                                 fix="For example: learning_rate=1e-3")
    global_batch = check_positive_int("global_batch", global_batch)
    reference_batch = check_positive_int("reference_batch", reference_batch)
    return float(learning_rate) * global_batch / reference_batch


def is_chief(strategy=None):
    """True in the process that should write files (checkpoints, results); False in the other workers.

    Outside a multi-worker cluster every process is its own chief.

    Args:
        strategy: the strategy (default: the one in scope).

    Returns:
        A bool.
    """
    if strategy is None:
        strategy = import_tensorflow_quietly().distribute.get_strategy()
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type == "chief" or (task_type == "worker" and task_id == 0
                                    and "chief" not in resolver.cluster_spec().as_dict())


def is_multi_worker(strategy):
    """True for a strategy whose replicas live in several processes (a `TF_CONFIG` cluster of 2 or more)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None:
        return False
    spec = resolver.cluster_spec().as_dict()
    return sum(len(spec.get(job, ())) for job in ("chief", "worker")) > 1


def gpu_details():
    """The GPUs TensorFlow sees, each as `(name, compute capability or None)`.

    Returns:
        A list of tuples, empty on a machine without a usable GPU.
    """
    tf = import_tensorflow_quietly()
    found = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        found.append((details.get("device_name", gpu.name), details.get("compute_capability")))
    return found


def use_mixed_precision(enable="auto", verbose=True):
    """Compute in float16 on GPUs that are fast at it; keep float32 everywhere else.

    Mixed precision keeps the weights in float32 and computes the layers in
    float16, which on GPUs with tensor cores (compute capability 7.0 and
    newer: V100, T4, A100, H100, most Colab GPUs) is often 2-3x faster and
    halves activation memory. The course's model builders keep their output
    layer in float32 under this policy, so the softmax and the loss stay
    accurate, and Keras scales the loss so that small float16 gradients do not
    round to zero. On a CPU it would be slower, so "auto" leaves it off there.

    Call it before building the model.

    Args:
        enable: "auto" (on only for a GPU of compute capability >= 7.0), True
            (on whenever a GPU is visible), or False (float32; resets the policy).
        verbose: print the policy chosen and why.

    Returns:
        The name of the Keras dtype policy now in force: "mixed_float16" or "float32".

    Raises:
        ValueError: if `enable` is not "auto", True or False.

    Example:

    >>> from cnn_course import devices
    >>> devices.use_mixed_precision("auto")  # on a machine without a GPU
    Precision: float32 (no GPU visible: mixed precision would only slow the CPU down).
    'float32'
    """
    check_choice("enable", enable, ("auto", True, False))
    verbose = check_verbose(verbose)
    keras = import_keras()
    gpus = gpu_details()
    if enable is False:
        policy, why = "float32", "mixed precision switched off"
    elif not gpus:
        policy, why = "float32", "no GPU visible: mixed precision would only slow the CPU down"
    else:
        capabilities = [c for _, c in gpus]
        fast = all(c is not None and tuple(c) >= MIXED_PRECISION_MIN_CAPABILITY for c in capabilities)
        if enable is True or fast:
            policy, why = "mixed_float16", f"GPU {gpus[0][0]}, compute capability {capabilities[0]}"
        else:
            policy = "float32"
            why = (f"GPU {gpus[0][0]} has compute capability {capabilities[0]}, below "
                   f"{MIXED_PRECISION_MIN_CAPABILITY}: float16 would not be faster (pass True to force it)")
    keras.mixed_precision.set_global_policy(policy)
    if verbose:
        print(f"Precision: {policy} ({why}).")
    return policy


def replicas_in_scope():
    """How many replicas the strategy in scope trains in sync (1 outside any `strategy.scope()`).

    Model builders read it to synchronise batch normalization across
    replicas, so that a model trained on several devices computes the same
    batch statistics as on one.
    """
    tf = import_tensorflow_quietly()
    return tf.distribute.get_strategy().num_replicas_in_sync


def output_dtype():
    """The dtype the last layer of a model should compute in: "float32" under mixed precision, else None.

    Model builders pass it as the output layer's `dtype`, so that under
    mixed precision the softmax or sigmoid and the loss are computed in
    float32 (TensorFlow's mixed-precision guide asks for this).
    """
    keras = import_keras()
    policy = keras.mixed_precision.global_policy()
    return "float32" if policy.compute_dtype != policy.variable_dtype else None


def report():
    """Lines describing the GPUs, the strategy, precision and XLA that training would use here.

    Printed by `cnn-course check` (`settings.check_installation`).

    Returns:
        A list of strings.
    """
    keras = import_keras()
    lines = []
    gpus = gpu_details()
    if gpus:
        for i, (name, capability) in enumerate(gpus):
            shown = ".".join(str(c) for c in capability) if capability else "unknown"
            lines.append(f"GPU {i}       {name} (compute capability {shown})")
    else:
        lines.append("GPUs        none: training runs on the CPU")
    try:
        kind, names = plan_strategy()
        lines.append(f"Strategy    {kind} on {', '.join(names)} (devices.choose_strategy)")
    except ValueError as exc:
        lines.append(f"Strategy    cannot tell: {exc}")
    fast = bool(gpus) and all(c is not None and tuple(c) >= MIXED_PRECISION_MIN_CAPABILITY for _, c in gpus)
    lines.append(f"Precision   {keras.mixed_precision.global_policy().name} now; "
                 f"devices.use_mixed_precision() would choose {'mixed_float16' if fast else 'float32'}")
    lines.append("XLA         " + ("on by default for models compiled here (jit_compile='auto')" if gpus
                                   else "off on a CPU (Keras's jit_compile='auto'); compile_for_task(jit_compile=True) "
                                        "forces it"))
    return lines
