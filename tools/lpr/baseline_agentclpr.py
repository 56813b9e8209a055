"""agentclpr 1.1.0's own pipeline on onnxruntime: the baseline for tools/bench_lpr.py.

Runs in the tools venv (sh tools/lpr/setup_venv.sh), not the product venv:
    .venv-lpr/bin/python tools/lpr/baseline_agentclpr.py --threads 1 [--repeat 20] [--crop] IMAGE...
Prints one JSON line per image: {"file", "plates": [[text, score], ...], "ms": median}.
Crops (--crop) go through agentclpr's recogniser alone (PaddleOCR resize), as there is
nothing to detect. onnxruntime gets the same thread count as the TFLite side and
allow_spinning=0 (with spinning on 2 shared cores it is 2x slower, unfairly).
"""
import argparse
import json
import statistics
import sys
import time

import cv2
import numpy as np
import onnxruntime as ort

_Orig = ort.InferenceSession
THREADS = 1


def _session(path, *a, sess_options=None, providers=None, **kw):
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return _Orig(path, sess_options=so, providers=["CPUExecutionProvider"])


def main():
    global THREADS
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="+")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--crop", action="store_true")
    a = ap.parse_args()
    THREADS = a.threads
    ort.InferenceSession = _session
    import logging
    from agentclpr import CLPSystem
    clp = CLPSystem()
    for name in ("root", "ppocr", "agentocr"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.disable(logging.INFO)
    rec = clp.ocr.text_sys.text_recognizer
    for path in a.images:
        img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
        times = []
        for _ in range(max(1, a.repeat)):
            t0 = time.perf_counter()
            if a.crop:
                res, _ = rec([img])
                plates = [[res[0][0], float(res[0][1])]]
            else:
                try:
                    plates = [[r[1][0], float(r[1][1])] for r in clp(img)]
                except cv2.error:
                    # agentclpr's own bug: a plate within 10 px of the frame edge gives an empty
                    # slice to cv2.resize; count it as no read rather than losing the whole run
                    plates = []
            times.append((time.perf_counter() - t0) * 1000)
        plates.sort(key=lambda p: -p[1])
        print(json.dumps({"file": path, "plates": plates, "ms": statistics.median(times),
                          "min_ms": min(times)},
                         ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
