"""Pretrain the shapes base and write cnn_course/weights/shapes_base.weights.h5 and shapes_base.json.

Usage:
    python tools/pretrain_shapes_base.py            # the shipped configuration (about a minute on 2 CPU cores)
    python tools/pretrain_shapes_base.py --epochs 2 --output /tmp/base   # a quick try, elsewhere

The same command on the same machine writes bit-identical weights. The json
records that machine (`shapes_base.machine_fingerprint()`: CPU, instruction
sets, versions, threads) and how the base behaves (source and transfer
accuracy): `tests/test_shapes_base.py` compares bits on that machine and the
behaviour elsewhere, where rounding differs and training makes another,
equally good network.
"""

import argparse
import pathlib
import sys

import cnn_course  # noqa: F401  (import it before TensorFlow: sets its flags)
from cnn_course import shapes_base


def main(argv=None):
    defaults = shapes_base.DEFAULT_CONFIG
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=defaults["epochs"])
    parser.add_argument("--seed", type=int, default=defaults["seed"])
    parser.add_argument("--n-per-class", type=int, default=defaults["n_per_class"])
    parser.add_argument("--output", type=pathlib.Path, default=None,
                        help="folder for the two files (default: the package's weights folder)")
    args = parser.parse_args(argv)

    print(f"Pretraining on {len(shapes_base.SOURCE_CLASSES)} source shapes "
          f"{shapes_base.SOURCE_CLASSES}, {args.n_per_class} images each, {args.epochs} epochs ...")
    base, report = shapes_base.pretrain_shapes_base(epochs=args.epochs, seed=args.seed,
                                                    n_per_class=args.n_per_class, verbose=2)
    print(f"Source-task validation accuracy: {report['source_val_accuracy']:.3f} "
          f"({report['seconds']:.0f} s); transfer accuracy on the course task: "
          f"{report['transfer_accuracy']:.3f}")
    print(f"Machine: {report['machine']}")
    if args.output is None:
        weights, metadata = shapes_base.save_shapes_base(base, report)
    else:
        weights, metadata = shapes_base.save_shapes_base(
            base, report, args.output / shapes_base.WEIGHTS_PATH.name,
            args.output / shapes_base.METADATA_PATH.name)
    print(f"Wrote {weights} ({weights.stat().st_size / 1024:.0f} KiB) and {metadata}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
