"""Train the Ringelmann CNN on the rendered set and export TFLite (fp32, fp16, int8).

Runs in its own venv (TensorFlow never goes on the board):
    tools/smoke/make_venv.sh
    nice -n 10 .venv-smoke/bin/python -m tools.smoke.train [--data var/smoke] [--epochs 12] [--reference]

Input: 64x64 RGB float32 in [0, 1] (a crop behind the exhaust); with --reference the 7-channel
input of edge.vision.smoke.classifier.reference_features (crop, empty-lane reference, blackness
map) and the files are named smoke_ringelmann_ref_*.tflite. Output: softmax over levels 0-5.
Progress is monitored on val.npz when it exists (never on eval: eval is measured once, at the end).
Levels are weighted by sqrt(1 / frequency) (level 0 and level 5 are the common and the rare end).
Targets are soft: a Gaussian (sigma 0.35 level) around 5 x blackness, so a plume of 38 %
blackness teaches "mostly 2, some 1" -- the levels are ordered and neighbours share evidence.
One thread, fixed seeds: the recipe is reproducible (TF's CPU kernels are deterministic with 1 thread).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

SOFT_SIGMA = 0.35


def soft_targets(blackness):
    t = (blackness * 5.0)[:, None]
    k = np.arange(6, dtype=np.float32)[None, :]
    p = np.exp(-0.5 * ((k - t) / SOFT_SIGMA) ** 2)
    return (p / p.sum(1, keepdims=True)).astype(np.float32)


def build_model(tf, channels=3):
    L = tf.keras.layers
    inp = L.Input((64, 64, channels), name="crop")
    x = inp
    for f in (16, 32, 48):  # 64 -> 32 -> 16 -> 8
        x = L.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.MaxPooling2D()(x)
    x = L.Conv2D(64, 3, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    # mean and max pooling: the background's level (mean) and the plume's darkest evidence (max)
    x = L.Concatenate()([L.GlobalAveragePooling2D()(x), L.GlobalMaxPooling2D()(x)])
    x = L.Dense(48, activation="relu")(x)
    out = L.Dense(6, activation="softmax", name="level")(x)
    return tf.keras.Model(inp, out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="var/smoke")
    ap.add_argument("--out", default="var/smoke")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--weight-power", type=float, default=0.5, help="level weights = (1/frequency)^this")
    ap.add_argument("--reference", action="store_true", help="train the reference-aware model (7-channel input)")
    ap.add_argument("--train-files", default="train", help="comma-separated npz names under --data (e.g. train,train_b)")
    a = ap.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(a.seed)

    def inputs(d):
        x = d["images"].astype(np.float32) / 255.0
        if a.reference:
            from edge.vision.smoke.classifier import reference_features
            x = np.concatenate([reference_features(x[i:i + 2000], d["references"][i:i + 2000].astype(np.float32) / 255.0)
                                for i in range(0, len(x), 2000)])
        return x

    parts = [np.load(os.path.join(a.data, n + ".npz")) for n in a.train_files.split(",")]
    tr = {k: np.concatenate([p[k] for p in parts]) for k in ("images", "references", "blackness", "level")}
    x = inputs(tr).astype(np.float16)  # half the memory (32k crops x 7 channels); cast back per batch
    y = soft_targets(tr["blackness"])
    val = None
    if os.path.exists(os.path.join(a.data, "val.npz")):
        vd = np.load(os.path.join(a.data, "val.npz"))
        val = (inputs(vd), soft_targets(vd["blackness"]))
    print("train %d crops, %d channels; monitoring on %s" % (
        len(x), x.shape[-1], "val (%d crops)" % len(val[0]) if val else "nothing"), flush=True)

    model = build_model(tf, x.shape[-1])
    print("parameters: %d" % model.count_params(), flush=True)
    steps = a.epochs * int(np.ceil(len(x) / a.batch))
    lr = tf.keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.02)
    model.compile(tf.keras.optimizers.Adam(lr), loss="categorical_crossentropy",
                  metrics=[tf.keras.metrics.CategoricalAccuracy(name="acc")])
    # level 0 is ~46 % of the crops (every steam/dust/empty crop is level 0) and level 5 ~4 %
    # (few backgrounds can show 90 % blackness): weight by sqrt(1 / frequency) so the rare ends count
    counts = np.bincount(tr["level"], minlength=6).astype(np.float64)
    cw = (counts.sum() / 6 / np.maximum(counts, 1)) ** a.weight_power
    w = cw[tr["level"]].astype(np.float32)
    w /= w.mean()
    print("level counts %s, sample weights %s" % (counts.astype(int).tolist(), np.round(cw / (cw[tr["level"]].mean()), 2).tolist()), flush=True)
    ds = (tf.data.Dataset.from_tensor_slices((x, y, w)).shuffle(len(x), seed=a.seed)
          .map(lambda i, t, sw: (tf.image.random_flip_left_right(tf.cast(i, tf.float32)), t, sw)).batch(a.batch))
    t0 = time.time()
    model.fit(ds, epochs=a.epochs, validation_data=val, verbose=2)
    print("trained in %.0f s" % (time.time() - t0), flush=True)
    os.makedirs(a.out, exist_ok=True)
    prefix = "smoke_ringelmann_ref" if a.reference else "smoke_ringelmann"
    model.save(os.path.join(a.out, prefix + ".keras"))

    def convert(kind):
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
        if kind == "fp16":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = [tf.float16]
        elif kind == "int8":  # full-integer weights and activations, float I/O, calibrated on training crops
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            rep = x[np.random.default_rng(0).choice(len(x), min(400, len(x)), replace=False)].astype(np.float32)
            conv.representative_dataset = lambda: ([r[None]] for r in rep)
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        data = conv.convert()
        path = os.path.join(a.out, "%s_%s.tflite" % (prefix, kind))
        with open(path, "wb") as f:
            f.write(data)
        print("exported %s (%.1f KiB)" % (path, len(data) / 1024), flush=True)

    for kind in ("fp32", "fp16", "int8"):
        t = time.time()
        convert(kind)
        print("  conversion %.1f s" % (time.time() - t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
