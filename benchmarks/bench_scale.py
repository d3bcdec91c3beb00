"""Scale: what the course's data and training paths cost as the data grows, measured in one run on this machine.

Usage:
    python benchmarks/bench_scale.py                        # every section; 5,000 and 10,000 images (2-3 min, 2 cores)
    python benchmarks/bench_scale.py --quick                # 200 and 400 images (about 1 minute, mostly imports)
    python benchmarks/bench_scale.py --section streaming --images 5000 10000 20000

Sections (the list `SECTIONS` at the bottom; each prints its own table):

streaming: an image folder of N generated 150x150 JPEGs (2 classes) read as a training
pipeline (batch 32, shuffled every epoch, float32 pixels times 1/255) in two ways:
- in memory: `datasets.load_image_folder` decodes every image into one array, then
  `data.make_dataset(..., shuffle=True)`;
- streamed: `datasets.stream_image_folder(..., shuffle=True)`, first with an empty
  check cache (every file decoded once to check it), then again with the cache filled.
For each: the start-up time (loading, or checking the files), images/s of two epochs of
`for x, y in dataset` (no model: the input pipeline alone), and the peak resident memory
(max RSS) of the process, next to its RSS once TensorFlow was imported. Every
configuration runs in a fresh process, so that the peaks do not mix. The files are read
from the operating system's file cache (they were just written): a first read from a
cold disk is slower.

devices: training throughput (images/s) of `models.shapes_convnet` on random 64x64 images with
the CPU as one device, and split into two logical devices under `MirroredStrategy` (same global
batch, and twice the global batch). On one machine the replicas share its cores, so this measures
the cost of the several-device path, not a speed-up; on several GPUs each replica has its own.

gpu: only where TensorFlow sees a GPU: time per epoch of notebook 03's `cats_vs_dogs_convnet` on
random 150x150 images, in float32 and with mixed precision (`devices.use_mixed_precision`).

Next to the figures, this machine's CPU and float32 matmul GFLOP/s (NumPy), so that
figures from faster and slower machines compare. Timings are never asserted in tests;
this script is where speed and memory claims live.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from machine import cpu_name, matmul_gflops  # noqa: E402  (benchmarks/machine.py)

IMAGE_SIZE = (150, 150)
BATCH_SIZE = 32


# ---------------------------------------------------------------------------
# Measuring one configuration in a fresh process
# ---------------------------------------------------------------------------


def _rss_mib():
    """The process's resident memory now, in MiB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _peak_rss_mib():
    """The process's peak resident memory so far (max RSS), in MiB."""
    try:
        import resource
    except ImportError:  # Windows
        import psutil

        return psutil.Process().memory_info().peak_wset / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def worker(config):
    """Run one configuration (in its own process) and return its figures as a dict."""
    if config.get("section") in ("devices", "gpu"):
        return training_worker(config)
    import cnn_course  # noqa: F401  (before TensorFlow: sets its flags)
    from cnn_course import data, datasets
    from cnn_course.settings import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    tf.constant(1.0) + 1.0  # start TensorFlow's runtime before the baseline is read
    rss_after_import = _rss_mib()

    start = time.perf_counter()
    if config["pipeline"] == "memory":
        images = datasets.load_image_folder(config["directory"], image_size=IMAGE_SIZE)
        dataset = data.make_dataset(images, batch_size=BATCH_SIZE, shuffle=True, seed=0)
        count = len(images)
    else:
        streamed = datasets.stream_image_folder(config["directory"], image_size=IMAGE_SIZE,
                                                    batch_size=BATCH_SIZE, shuffle=True, seed=0,
                                                    cache_dir=config["cache_dir"], verbose=0)
        dataset, count = streamed.dataset, len(streamed)
    start_seconds = time.perf_counter() - start

    rates = []
    for _ in range(config["epochs"]):
        start, seen = time.perf_counter(), 0
        for x, _labels in dataset:  # x: (batch, 150, 150, 3) float32
            seen += int(x.shape[0])
        rates.append(seen / (time.perf_counter() - start))
    assert seen == count, (seen, count)
    return {"start_seconds": start_seconds, "images_per_second": rates, "rss_after_import_mib": rss_after_import,
            "peak_rss_mib": _peak_rss_mib()}


def measure(config):
    """Run `worker(config)` in a fresh Python process and return what it measured."""
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", json.dumps(config)],
                          capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"measuring {config} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(lines[-1][len("RESULT "):])


# ---------------------------------------------------------------------------
# Section: streaming an image folder against loading it into memory
# ---------------------------------------------------------------------------


def generate_images(directory, count, seed=0):
    """Write `count` 150x150 JPEGs, half in `cats/`, half in `dogs/`: smooth shapes plus noise, like photos."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        name = ("cats", "dogs")[i % 2]
        coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        image = np.asarray(Image.fromarray(coarse).resize(IMAGE_SIZE[::-1], Image.Resampling.BICUBIC), np.int16)
        image = np.clip(image + rng.integers(-12, 13, image.shape), 0, 255).astype(np.uint8)  # (150, 150, 3)
        Image.fromarray(image).save(directory / name / f"{name}.{i // 2}.jpg", quality=90)


def image_folder(workdir, count, largest):
    """A folder of the first `count` images of `largest` (hard links: written once, the same files)."""
    directory = workdir / f"images_{count}"
    for name in ("cats", "dogs"):
        (directory / name).mkdir(parents=True)
        for i in range(count // 2):
            source = largest / name / f"{name}.{i}.jpg"
            try:
                os.link(source, directory / name / source.name)
            except OSError:  # no hard links on this file system
                shutil.copy2(source, directory / name / source.name)
    return directory


def streaming_section(args):
    """Images/s and peak memory of the streamed pipeline against the in-memory one."""
    import pathlib

    counts = sorted(set(args.images))
    print(f"\nstreaming: {' and '.join(f'{n:,}' for n in counts)} generated {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} JPEGs "
          f"(2 classes), batch {BATCH_SIZE}, shuffled, float32; each row a fresh process")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="bench_scale_"))
    try:
        largest = workdir / "generated"
        for name in ("cats", "dogs"):
            (largest / name).mkdir(parents=True)
        start = time.perf_counter()
        generate_images(largest, 2 * (max(counts) // 2))
        size = sum(p.stat().st_size for p in largest.rglob("*.jpg"))
        print(f"  wrote {max(counts):,} JPEGs ({size / 2**20:.0f} MiB, {size / max(counts) / 1024:.1f} KiB each) "
              f"in {time.perf_counter() - start:.0f} s")

        header = (f"  {'pipeline':<34}{'images':>8}{'start s':>9}{'epoch 1 img/s':>15}{'epoch 2 img/s':>15}"
                  f"{'peak RSS MiB':>14}{'after import':>14}{'growth MiB':>12}")
        results = {}  # (configuration, count) -> figures
        for count in counts:
            directory = image_folder(workdir, count, largest)
            cache = workdir / f"cache_{count}"
            configs = [
                ("first run", "streamed, first run (checks files)", {"pipeline": "stream", "cache_dir": str(cache)}),
                ("streamed", "streamed, again (check cached)", {"pipeline": "stream", "cache_dir": str(cache)}),
                ("in memory", "in memory (load_image_folder)", {"pipeline": "memory"}),
            ][: 3 if count <= args.in_memory_max else 2]
            for key, label, config in configs:
                result = measure({**config, "directory": str(directory), "epochs": args.epochs})
                if not results:
                    print(header)
                results[key, count] = result
                _print_row(label, count, result)
            shutil.rmtree(directory)

        print("\n  summary")
        for count in counts:
            streamed, memory = results["streamed", count], results.get(("in memory", count))
            line = f"  {count:>6,} images: streamed {max(streamed['images_per_second']):7.0f} img/s"
            if memory is not None:
                ratio = max(streamed["images_per_second"]) / max(memory["images_per_second"])
                line += (f" against in memory {max(memory['images_per_second']):7.0f} img/s ({ratio:.2f}x); "
                         f"memory growth streamed {_growth(streamed):6.0f} MiB, in memory {_growth(memory):6.0f} MiB")
            else:
                line += f"; memory growth {_growth(streamed):6.0f} MiB (in memory not run: --in-memory-max)"
            print(line)
        if len(counts) > 1:
            for name in ("streamed", "in memory"):
                measured = [count for count in counts if (name, count) in results]
                if len(measured) < 2:
                    continue
                small, large = measured[0], measured[-1]
                a, b = _growth(results[name, small]), _growth(results[name, large])
                print(f"  {name:<9} memory growth {small:,} -> {large:,} images: {a:.0f} -> {b:.0f} MiB "
                      f"({'+' if b >= a else ''}{b - a:.0f} MiB for {large / small:.0f}x the images)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _growth(result):
    return result["peak_rss_mib"] - result["rss_after_import_mib"]


def _print_row(label, count, result):
    rates = result["images_per_second"] + [float("nan")] * 2
    print(f"  {label:<34}{count:>8,}{result['start_seconds']:>9.2f}{rates[0]:>15.0f}{rates[1]:>15.0f}"
          f"{result['peak_rss_mib']:>14.0f}{result['rss_after_import_mib']:>14.0f}{_growth(result):>12.0f}")


# ---------------------------------------------------------------------------
# Sections: training throughput on one and two devices; notebook 03's network on a GPU
# ---------------------------------------------------------------------------


def training_worker(config):
    """Train a model for a few timed epochs in this process (devices as `config` says) and return images/s."""
    import cnn_course  # noqa: F401  (before TensorFlow: sets its flags)
    from cnn_course import data, devices, models, reproducibility, training

    if config.get("logical_cpus", 1) > 1:
        devices.use_logical_cpus(config["logical_cpus"])  # before the runtime starts
    if config.get("mixed_precision"):
        devices.use_mixed_precision(True, verbose=False)
    reproducibility.set_seed(0, deterministic=False)
    strategy = devices.choose_strategy(verbose=False)
    rng = np.random.default_rng(0)
    shape = tuple(config["image_shape"])
    x = rng.integers(0, 256, (config["images"],) + shape, dtype=np.uint8)
    y = np.arange(config["images"]) % 2
    batch = devices.global_batch_size(config["per_replica_batch"], strategy)
    dataset = data.make_dataset(x, y, batch_size=batch, shuffle=True, seed=0)
    with strategy.scope():
        if config["model"] == "cats_vs_dogs":
            model = models.compile_for_task(models.cats_vs_dogs_convnet(), "binary")
        else:
            model = models.compile_for_task(models.shapes_convnet(input_shape=shape, num_classes=2), "multiclass")
    training.fit(model, dataset, epochs=1, verbose=0)  # tracing and warm-up, not timed
    start = time.perf_counter()
    training.fit(model, dataset, epochs=config["epochs"], verbose=0)
    seconds = (time.perf_counter() - start) / config["epochs"]
    return {"replicas": strategy.num_replicas_in_sync, "global_batch": batch, "seconds_per_epoch": seconds,
            "images_per_second": config["images"] / seconds, "peak_rss_mib": _peak_rss_mib()}


def devices_section(args):
    """Training throughput of the course's shapes network with the CPU as one device and split in two."""
    images = 256 if args.quick else 2048
    print(f"\ndevices: shapes_convnet (24,180 parameters) on {images:,} random 64x64 images, "
          f"{args.epochs} timed epochs after one warm-up; each row a fresh process")
    print(f"  {'devices':<38}{'global batch':>13}{'s/epoch':>10}{'images/s':>11}")
    rows = [("1 device (default strategy)", 1, 32),
            ("2 logical CPUs, 16 per replica", 2, 16),
            ("2 logical CPUs, 32 per replica", 2, 32)]
    for label, cpus, per_replica in rows:
        result = measure({"section": "devices", "logical_cpus": cpus, "per_replica_batch": per_replica,
                          "images": images, "image_shape": [64, 64, 3], "model": "shapes",
                          "epochs": args.epochs})
        assert result["replicas"] == cpus, result
        print(f"  {label:<38}{result['global_batch']:>13}{result['seconds_per_epoch']:>10.2f}"
              f"{result['images_per_second']:>11.0f}")
    print("  Logical CPUs share the same cores: this checks the several-device path, it cannot speed it up.")


def gpu_section(args):
    """Time per epoch of notebook 03's cats-vs-dogs network on the GPU, float32 against mixed precision."""
    from cnn_course.settings import import_tensorflow_quietly

    if not import_tensorflow_quietly().config.list_physical_devices("GPU"):
        print("\ngpu: skipped, no GPU visible to TensorFlow on this machine")
        return
    images = 256 if args.quick else 2000
    print(f"\ngpu: notebook 03's cats_vs_dogs_convnet on {images:,} random 150x150 images, batch 32, "
          f"{args.epochs} timed epochs after one warm-up")
    for label, mixed in (("float32", False), ("mixed_float16", True)):
        result = measure({"section": "gpu", "mixed_precision": mixed, "per_replica_batch": 32, "images": images,
                          "image_shape": [150, 150, 3], "model": "cats_vs_dogs", "epochs": args.epochs})
        print(f"  {label:<16}{result['seconds_per_epoch']:>8.2f} s/epoch{result['images_per_second']:>10.0f} images/s")


# ---------------------------------------------------------------------------
# The sections, in the order they run. To add one, write `def name_section(args):` that prints its own table, measuring
# in fresh processes through `measure` where settings are read at import, and append
# ("name", name_section) here; `--section name` then runs it alone.
# ---------------------------------------------------------------------------

SECTIONS = [
    ("streaming", streaming_section),
    ("devices", devices_section),
    ("gpu", gpu_section),
]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:  # one configuration, in the fresh process that `measure` started
        print("RESULT " + json.dumps(worker(json.loads(argv[1]))), flush=True)
        return
    names = [name for name, _ in SECTIONS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs="+", default=[5000, 10000],
                        help="image counts for the streaming section (default: 5000 10000)")
    parser.add_argument("--in-memory-max", type=int, default=10000,
                        help="run the in-memory pipeline only up to this many images (default 10000: "
                             "about 2.1 GB more memory; more may swap on a laptop)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs timed per configuration (default 2)")
    parser.add_argument("--quick", action="store_true", help="200 and 400 images: checks that the script runs")
    parser.add_argument("--section", choices=names, action="append",
                        help=f"run only this section (repeatable; default all: {', '.join(names)})")
    args = parser.parse_args(argv)
    if args.quick:
        args.images = [200, 400]
    if min(args.images) < 2 or args.epochs < 1:
        parser.error("--images needs counts of at least 2 and --epochs at least 1")

    start = time.perf_counter()
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical cores")
    print(f"float32 matmul: {matmul_gflops():.0f} GFLOP/s (NumPy, 2048x2048)")
    for name, section in SECTIONS:
        if args.section is None or name in args.section:
            section(args)
    print(f"\ntotal benchmark time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
