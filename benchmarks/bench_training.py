"""Speed and memory of the course's training path on this machine, printed as ratios measured in one run.

Usage:
    python benchmarks/bench_training.py            # all measurements (about 5 minutes on 2 cores)
    python benchmarks/bench_training.py --no-demo  # skip the demo's peak-memory run

What it prints:
1. Convnet training throughput as achieved GFLOP/s, against this machine's float32
   matmul GFLOP/s measured by the same TensorFlow (the ratio is the share of the
   machine's practical peak that training reaches; target >= 0.55), for the book's
   150x150 cats-vs-dogs convnet, with TensorFlow's oneDNN kernels on (our default)
   and off (TensorFlow's default before cnn_course sets it), each in a fresh process
   because the flag is read when TensorFlow is imported.
2. The input pipeline's images/s against the training step's images/s on the demo's
   shapes data (the pipeline must be faster, so training never waits), with the
   augmentation in the tf.data pipeline and inside the model.
3. Peak memory (max resident set size) of `cnn-course demo` (target < 2 GB).

Timings are never asserted in tests; this script is where speed claims live.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs in a fresh process so that TF_ENABLE_ONEDNN_OPTS takes effect at import.
CONVNET_PROBE = textwrap.dedent("""
    import json, os, sys, time
    import numpy as np
    import tensorflow as tf
    import keras
    from cnn_course import models

    def best_rate(fn, repeats, work):
        fn()  # warm-up: graph tracing, memory allocation
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter(); fn(); best = min(best, time.perf_counter() - start)
        return work / best

    # The machine's practical float32 peak: large matmuls through the same TensorFlow
    # (the best of two sizes, so that the ratio below is not flattered by a small one).
    matmul_flops = 0
    for n in (2048, 4096):
        a = tf.random.normal((n, n)); b = tf.random.normal((n, n))
        matmul = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
        matmul_flops = max(matmul_flops, best_rate(lambda: matmul().numpy(), 5, 2 * n ** 3))

    model = models.cats_vs_dogs_convnet()
    models.compile_for_task(model, "binary", optimizer="rmsprop", learning_rate=1e-4)
    batch, steps = 32, 8
    x = tf.random.uniform((batch * steps, 150, 150, 3))
    y = tf.cast(tf.random.uniform((batch * steps,)) > 0.5, tf.float32)
    ready = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).cache()  # no input cost

    def forward_flops(model):
        total, first = 0, None
        for layer in model.layers:
            if isinstance(layer, keras.layers.Conv2D):
                _, h, w, c_out = layer.output.shape
                kh, kw = layer.kernel_size
                c_in = layer.input.shape[-1]
                flops = 2 * h * w * kh * kw * c_in * c_out
            elif isinstance(layer, keras.layers.Dense):
                flops = 2 * layer.input.shape[-1] * layer.units
            else:
                continue
            first = flops if first is None else first
            total += flops
        return total, first

    fwd, first = forward_flops(model)
    # Training = forward + gradient w.r.t. weights (same cost) + gradient w.r.t. inputs
    # (same cost, except for the first layer, whose input gradient is not needed).
    step_flops = batch * (3 * fwd - first)
    train = lambda: model.fit(ready, epochs=1, verbose=0)  # one epoch = `steps` training steps
    train_flops = best_rate(train, 3, steps * step_flops)
    print("RESULT " + json.dumps({
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"), "matmul_gflops": matmul_flops / 1e9,
        "train_gflops": train_flops / 1e9, "images_per_s": train_flops / step_flops * batch,
        "gflop_per_image": step_flops / batch / 1e9,
    }))
""")


def convnet_probe(onednn):
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "PYTHONPATH": ROOT}
    code = "import cnn_course\n" + CONVNET_PROBE
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=900)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    line = [text for text in out.stdout.splitlines() if text.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def pipeline_vs_training():
    """Images/s of the demo's input pipelines alone, of its training step alone, and of fit with each.

    Two placements of the same augmentation are measured: inside the tf.data
    pipeline, and as the first layers of the model (what the demo uses).
    """
    sys.path.insert(0, ROOT)
    import cnn_course  # noqa: F401
    import tensorflow as tf

    from cnn_course import augmentation, data, models, shapes
    from cnn_course.reproducibility import set_seed

    set_seed(0)
    images, labels, _ = shapes.make_shapes_arrays(150, seed=0)
    n = len(images)

    def augment():
        return augmentation.recipe("shapes", seed=0)  # the demo's and the notebooks' augmentation

    def convnet(aug=None):
        model = models.shapes_convnet(images.shape[1:], len(shapes.DEFAULT_CLASSES), augmentation=aug)
        return models.compile_for_task(model, "multiclass")

    def pipeline_rate(ds):
        for x, _ in ds:  # warm-up epoch
            x.numpy()
        start = time.perf_counter()
        for _ in range(3):
            for x, _ in ds:
                x.numpy()
        return 3 * n / (time.perf_counter() - start)

    def fit_rate(model, ds):
        model.fit(ds, epochs=1, verbose=0, shuffle=False)  # warm-up: tracing
        start = time.perf_counter()
        model.fit(ds, epochs=3, verbose=0, shuffle=False)
        return 3 * n / (time.perf_counter() - start)

    aug_pipeline = data.make_dataset(images, labels, batch_size=32, shuffle=True, seed=0,
                                     augment=augment())
    plain_pipeline = data.make_dataset(images, labels, batch_size=32, shuffle=True, seed=0)
    # The same batches already in memory: training with no input cost.
    batches = [(tf.constant(x), tf.constant(y)) for x, y in plain_pipeline]
    ready = tf.data.Dataset.from_tensor_slices(
        (tf.concat([x for x, _ in batches], 0), tf.concat([y for _, y in batches], 0))).batch(32)
    return {
        "pipeline alone, augmenting": pipeline_rate(aug_pipeline),
        "pipeline alone, plain": pipeline_rate(plain_pipeline),
        "training from memory": fit_rate(convnet(), ready),
        "training from memory, aug in model": fit_rate(convnet(augment()), ready),
        "fit, augmenting pipeline": fit_rate(convnet(), aug_pipeline),
        "fit, plain pipeline + aug in model": fit_rate(convnet(augment()), plain_pipeline),
    }


def demo_peak_memory():
    """Run the demo in a wrapper process that reports only the demo's own peak resident memory."""
    wrapper = textwrap.dedent("""
        import resource, subprocess, sys
        out = subprocess.run([sys.executable, "-m", "cnn_course", "demo"] + sys.argv[1:])
        print("PEAK_KIB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        sys.exit(out.returncode)
    """)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": ROOT}
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", wrapper, "--data", os.path.join(tmp, "shapes"),
                              "--output", os.path.join(tmp, "out")],
                             capture_output=True, text=True, env=env, timeout=1200)
        seconds = time.perf_counter() - start
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
    peak_kib = int([text for text in out.stdout.splitlines() if text.startswith("PEAK_KIB")][-1].split()[1])
    return peak_kib / 1024 ** 2, seconds, out.stdout  # ru_maxrss is in KiB on Linux


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-demo", action="store_true", help="skip the demo's peak-memory run")
    args = parser.parse_args(argv)
    print(f"Machine: {os.cpu_count()} CPU cores, Python {sys.version.split()[0]}\n")

    print("1. Book 150x150 convnet (3,453,121 parameters), training step, batch 32")
    # Each setting twice, alternating, keeping the faster run: on the machine this was
    # written on, the first heavy process after a pause ran about 40% slow.
    results = {}
    for flag in ("1", "0", "1", "0"):
        r = convnet_probe(flag)
        if flag not in results or r["train_gflops"] > results[flag]["train_gflops"]:
            results[flag] = r
    for flag, r in results.items():
        label = "oneDNN on  (cnn_course default)" if flag == "1" else "oneDNN off"
        print(f"   {label}: matmul {r['matmul_gflops']:.1f} GFLOP/s, training {r['train_gflops']:.1f} "
              f"GFLOP/s ({r['images_per_s']:.1f} images/s), ratio {r['train_gflops'] / r['matmul_gflops']:.2f}")
    on, off = results["1"], results["0"]
    print(f"   speed-up of training from oneDNN: {on['train_gflops'] / off['train_gflops']:.2f}x "
          f"(target ratio >= 0.55: {'met' if on['train_gflops'] / on['matmul_gflops'] >= 0.55 else 'NOT met'})")

    print("\n2. Demo convnet on 64x64 shapes, augmentation (rotation, shifts, zoom, flip), batch 32")
    r = pipeline_vs_training()
    for name, value in r.items():
        print(f"   {name:<34} {value:6.0f} images/s")
    print(f"   pipeline alone / training: augmenting pipeline "
          f"{r['pipeline alone, augmenting'] / r['training from memory']:.1f}x, plain pipeline "
          f"{r['pipeline alone, plain'] / r['training from memory, aug in model']:.0f}x "
          "(above 1: the pipeline alone is faster than training)")
    print(f"   fit with the live pipeline / from memory: augmenting pipeline "
          f"{r['fit, augmenting pipeline'] / r['training from memory']:.2f}, augmentation in model "
          f"{r['fit, plain pipeline + aug in model'] / r['training from memory, aug in model']:.2f}")
    print("   (on 2 cores an augmenting pipeline competes with training for the same cores; inside "
          "the model,\n   augmentation runs within the training step and the pipeline never holds "
          "training up: the demo's choice)")

    if not args.no_demo:
        print("\n3. cnn-course demo (default settings)")
        peak_gib, seconds, stdout = demo_peak_memory()
        print(f"   peak memory {peak_gib:.2f} GiB (target < 2 GB), wall time {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
