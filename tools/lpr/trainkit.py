"""What the small plate-model trainers (train_color, train_province, train_quad) share: the
TensorFlow start, the render loop with progress, the cached training/validation arrays, and the
checked fp32 TFLite export.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def start_tf(seed, intra_threads):
    """TensorFlow with fixed threads and seed (and OpenCV on one thread: rendering runs beside it)."""
    import cv2
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(intra_threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(seed)
    cv2.setNumThreads(1)
    return tf


def render(n, seed, tag, samples, log, every=5000, unit="rendered", x_dtype=np.float32, y_dtype=np.int64):
    """(x, y) stacked from `n` draws of `samples(rng)`, each an iterable of (x, y) pairs (a
    frame may give several); progress every `every` draws."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    t0 = time.time()
    for i in range(n):
        for x, y in samples(rng):
            xs.append(x)
            ys.append(y)
        if (i + 1) % every == 0 or i == n - 1:
            el = time.time() - t0
            extra = "" if len(xs) == i + 1 else ", %d samples" % len(xs)
            log("%s: %d/%d %s%s, %.0f s, ~%.0f s left" % (tag, i + 1, n, unit, extra, el,
                                                          el / (i + 1) * (n - i - 1)))
    return np.asarray(np.stack(xs), x_dtype), np.asarray(np.stack(ys), y_dtype)


def cached_sets(out_dir, key, make, log):
    """(xt, yt, xv, yv) from out_dir/data_<key>.npz, or made by `make()` and saved there (a
    re-run with the same sizes and seed trains without rendering again)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache = out_dir / ("data_%s.npz" % "_".join(str(k) for k in key))
    if cache.exists():
        d = np.load(cache)
        log("data from %s" % cache)
        return d["xt"], d["yt"], d["xv"], d["yv"]
    xt, yt, xv, yv = make()
    np.savez_compressed(cache, xt=xt, yt=yt, xv=xv, yv=yv)
    return xt, yt, xv, yv


def export_tflite(model, xv, out, shape, log):
    """Keras model -> fp32 TFLite at `out`, checked against keras on 20 validation inputs."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    # a frozen concrete function: keras 3 models break TFLiteConverter.from_keras_model, and
    # unfrozen variables become READ_VARIABLE ops that the interpreter cannot run
    fn = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec(shape, tf.float32)])
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    tfl = tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert()
    Path(out).write_bytes(tfl)
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=tfl)
    it.allocate_tensors()
    i_in, i_out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    err = 0.0
    for k in range(20):
        it.set_tensor(i_in, xv[k:k + 1])
        it.invoke()
        d = np.abs(it.get_tensor(i_out) - model.predict(xv[k:k + 1], verbose=0)).max()
        err = max(err, float(d) if np.isfinite(d) else np.inf)
    log("tflite vs keras: max |diff| %.2e -> %s (%d KiB)" % (err, out, len(tfl) // 1024))
    if err >= 1e-4:
        raise SystemExit("export: the TFLite file differs from the Keras model by %.2e (limit 1e-4): %s" % (err, out))
    return 0
