"""Time of each notebook and of `cnn-course demo` in default mode, the settings students run.

Usage:
    python benchmarks/bench_notebooks.py              # every notebook, then the demo
    python benchmarks/bench_notebooks.py 03 07        # notebooks whose name starts with 03 or 07
    python benchmarks/bench_notebooks.py --no-demo
    python benchmarks/bench_notebooks.py 03 --save executed/   # also keep the executed notebooks

Each notebook runs top to bottom in a fresh Jupyter kernel (nbclient), in default mode
(`CNN_COURSE_QUICK=0`), with its data in a temporary folder made once for the whole run
(so the first notebook also pays for drawing the shapes dataset, as a student's would).
For each it prints the total seconds, the slowest cell and its seconds; for the demo its
total seconds. Budgets (issue 22, item 14): on a 2-vCPU machine that trains the course's
network (`models.shapes_convnet`, 64x64 images, batch 32) at 917 images/s (1,000 images in
1.09 s, measured on a 2-vCPU Intel Xeon of the class of Colab's free CPU runtime), at most
150 s per notebook, 120 s for the demo and 60 s for any one cell. On another machine the
budgets are scaled by the ratio of the two training rates: the notebooks spend their time
training networks of this kind, which are bound by memory and per-step overhead, so the
float32 matmul rate (printed too, for comparison) predicts their time poorly. Timings are
never asserted in tests.
"""

import argparse
import datetime
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import nbformat
from machine import course_network_rate, cpu_name, matmul_gflops  # benchmarks/machine.py

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: Budgets in seconds on the reference machine, and the rate at which it trains the course's network.
REFERENCE_IMAGES_PER_SECOND = 1000 / 1.09
BUDGETS = {"notebook": 150.0, "demo": 120.0, "cell": 60.0}


def _cell_seconds(cell):
    """Seconds one executed cell took, from the timing nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (begin and end):
        return 0.0
    return (_timestamp(end) - _timestamp(begin)).total_seconds()


def _timestamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def time_notebook(path, workdir):
    """Run one notebook in a kernel that inherits this process's environment.

    Returns (the executed notebook, total seconds, index of its slowest code cell, that cell's seconds).
    """
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": workdir}})
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    code = [(i, _cell_seconds(c)) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    slowest = max(code, key=lambda item: item[1])
    return notebook, total, slowest[0], slowest[1]


def time_demo(output):
    """Run `cnn-course demo`; return its seconds and the lines it printed after training."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cnn_course", "demo", "--output", output],
                          capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    tail = done.stdout[done.stdout.index("model "):] if "model " in done.stdout else done.stdout[-2000:]
    return seconds, tail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only the notebooks whose name starts with one of these")
    parser.add_argument("--no-demo", action="store_true", help="skip `cnn-course demo`")
    parser.add_argument("--save", metavar="DIR",
                        help="write each executed notebook, with its outputs, into DIR (to read what it printed)")
    args = parser.parse_args(argv)

    gflops, rate = matmul_gflops(), course_network_rate()
    scale = REFERENCE_IMAGES_PER_SECOND / rate
    budgets = {k: v * scale for k, v in BUDGETS.items()}
    print(f"CPU: {cpu_name()}, {os.cpu_count()} logical cores")
    print(f"float32 matmul (NumPy): {gflops:.0f} GFLOP/s")
    print(f"course network (shapes_convnet, 64x64, batch 32): {rate:.0f} images/s in training; budgets "
          f"scaled by {REFERENCE_IMAGES_PER_SECOND:.0f}/{rate:.0f} = {scale:.2f}: notebook "
          f"{budgets['notebook']:.0f} s, demo {budgets['demo']:.0f} s, cell {budgets['cell']:.0f} s")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.prefixes:
        notebooks = [p for p in notebooks if p.name.startswith(tuple(args.prefixes))]

    with tempfile.TemporaryDirectory(prefix="bench_notebooks_") as work:
        # Set once for this whole run: the kernels and the demo inherit it.
        os.environ.update({"CNN_COURSE_QUICK": "0", "CNN_COURSE_DATA": str(pathlib.Path(work) / "data"),
                           "MPLBACKEND": "Agg"})
        print(f"\n{'notebook':<36} {'seconds':>8} {'slowest cell':>13} {'its seconds':>12}  within budget")
        for path in notebooks:
            executed, total, index, cell = time_notebook(path, work)
            if args.save:
                pathlib.Path(args.save).mkdir(parents=True, exist_ok=True)
                nbformat.write(executed, pathlib.Path(args.save) / path.name)
            ok = total <= budgets["notebook"] and cell <= budgets["cell"]
            print(f"{path.stem:<36} {total:>8.1f} {index:>13} {cell:>12.1f}  {'yes' if ok else 'NO'}", flush=True)
        if not args.no_demo:
            seconds, tail = time_demo(str(pathlib.Path(work) / "demo_output"))
            print(f"\ncnn-course demo: {seconds:.1f} s ({'within' if seconds <= budgets['demo'] else 'OVER'} "
                  f"the {budgets['demo']:.0f} s budget)\n{tail}")


if __name__ == "__main__":
    main()
