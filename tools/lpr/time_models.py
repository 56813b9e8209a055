"""Median invoke time of each models/plate_*.tflite on 1 and 2 threads (interleaved runs, so a
busy machine slows all variants alike).

    .venv/bin/python -m tools.lpr.time_models [--runs 30]
"""
import argparse
import statistics
import sys
import time

import numpy as np

from edge.vision.interpreter import load_model, models_dir


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args(argv)
    paths = sorted(models_dir().glob("plate_*.tflite"))
    for threads in (1, 2):
        interps = {}
        for p in paths:
            it = load_model(p, threads)
            d = it.get_input_details()[0]
            x = np.random.default_rng(0).random(d["shape"], dtype=np.float32)
            if np.issubdtype(d["dtype"], np.integer):  # the colour CNN takes uint8 pixels
                x = (x * 255).astype(d["dtype"])
            it.set_tensor(d["index"], x)
            it.invoke()
            interps[p.name] = (it, [])
        for _ in range(a.runs):
            for name, (it, ts) in interps.items():
                t0 = time.perf_counter()
                it.invoke()
                ts.append((time.perf_counter() - t0) * 1000)
        for name, (it, ts) in interps.items():
            print("%-26s threads %d  median %6.1f ms  min %6.1f ms  %5d KiB" % (
                name, threads, statistics.median(ts), min(ts), (models_dir() / name).stat().st_size // 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
