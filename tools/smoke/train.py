"""Train a Ringelmann (opacity) CNN on the rendered sets and export TFLite (fp32, int8).

Runs in its own venv (TensorFlow never goes on the board):
    tools/smoke/make_venv.sh
    nice -n 10 .venv-smoke/bin/python -m tools.smoke.train [--data /work/data-h15-smoke/smoke] [--epochs 8] [--reference]

Input: 64x64 RGB float32 in [0, 1] (a crop behind the exhaust); with --reference the 11-channel
input of edge.vision.smoke.classifier.reference_features (crop, empty-lane reference, darkening,
difference, soot opacity, texture ratio; --ref-channels 14 adds the gain-corrected soot opacity
and the chroma shift) and the files are named smoke_ringelmann_ref_*.tflite. Output [1, 7]: softmax over
levels 0-5, then the opacity (sigmoid). Training sees only tools.smoke.dataset's `train` set
(plume models fbm + cloud; the puffs model and the wall/sky families never); progress is watched
on `val` (the same families, fresh seeds), never on the held-out sets.
Loss: cross-entropy against soft targets -- a Gaussian (sigma 0.35 level) around 5 x opacity, so
a plume of 38 % teaches "mostly 2, some 1" -- plus 4 x the squared opacity error. Levels are
weighted by sqrt(1 / frequency). Unobservable crops (black on black) are left out.
One thread, fixed seeds.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

SOFT_SIGMA = 0.35


def soft_targets(opacity):
    t = (opacity * 5.0)[:, None]
    k = np.arange(6, dtype=np.float32)[None, :]
    p = np.exp(-0.5 * ((k - t) / SOFT_SIGMA) ** 2)
    return (p / p.sum(1, keepdims=True)).astype(np.float32)


FILTERS = (24, 48, 64, 96)


CORE_TAP = 32  # channels of each --core-readout tap


def _core_readout(L, x, name):
    """A soft dense-core mean of a finer map: 1x1 features, a learnt per-position weight softmaxed
    over the map (the label is the mean opacity over the plume's dense core, which is 3-6 px for a
    small puff and sub-cell on the 8x8 map the global pooling sees), plus their max."""
    h, w = int(x.shape[1]), int(x.shape[2])
    f = L.Conv2D(CORE_TAP, 1, activation="relu", name=name + "_f")(x)
    a = L.Softmax(axis=1, name=name + "_w")(L.Reshape((h * w, 1))(L.Conv2D(1, 1, name=name + "_a")(x)))
    mean = L.Flatten()(L.Dot(axes=1)([a, L.Reshape((h * w, CORE_TAP))(f)]))
    return [mean, L.GlobalMaxPooling2D()(f)]


def build_model(tf, channels=3, filters=FILTERS, core_readout=False):
    L = tf.keras.layers
    inp = L.Input((64, 64, channels), name="crop")
    x = inp
    taps = []
    for i, f in enumerate(filters[:3]):  # 64 -> 32 -> 16 -> 8
        x = L.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        if core_readout and i in (1, 2):  # the 32x32 and 16x16 maps, before their pooling
            taps += _core_readout(L, x, "core%d" % i)
        x = L.MaxPooling2D()(x)
    x = L.Conv2D(filters[3], 3, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    # mean and max pooling: the background's level (mean) and the plume's densest evidence (max)
    x = L.Concatenate()([L.GlobalAveragePooling2D()(x), L.GlobalMaxPooling2D()(x)] + taps)
    x = L.Dense(64, activation="relu")(x)
    levels = L.Dense(6, activation="softmax", name="levels")(x)
    opacity = L.Dense(1, activation="sigmoid", name="opacity")(x)
    return tf.keras.Model(inp, L.Concatenate(name="out")([levels, opacity]))


OPACITY_WEIGHT = 4.0


def make_loss(tf):
    def loss(y, p):
        ce = -tf.reduce_sum(y[:, :6] * tf.math.log(tf.clip_by_value(p[:, :6], 1e-7, 1.0)), axis=-1)
        return ce + OPACITY_WEIGHT * tf.square(y[:, 6] - p[:, 6])
    return loss


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/work/data-h15-smoke/smoke")
    ap.add_argument("--out", default="/work/data-h15-smoke/models")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--weight-power", type=float, default=0.5, help="level weights = (1/frequency)^this")
    ap.add_argument("--balance-levels", action="store_true",
                    help="first weight levels 1-5 to equal counts (a core-balanced set has more low levels), then as usual")
    ap.add_argument("--reference", action="store_true", help="train the reference-aware model (11-channel input)")
    ap.add_argument("--ref-channels", type=int, default=11, choices=(11, 14),
                    help="reference model's feature maps: 11, or 14 (+ gain-corrected soot opacity, chroma shift)")
    ap.add_argument("--filters", default=",".join(map(str, FILTERS)), help="conv widths of the 4 stages")
    ap.add_argument("--core-readout", action="store_true",
                    help="add soft dense-core means of the 32x32 and 16x16 maps to the head (_core_readout)")
    ap.add_argument("--limit", type=int, default=0, help="train on the first N usable crops only")
    ap.add_argument("--train-files", default="train", help="comma-separated npz names under --data")
    ap.add_argument("--gather-batches", action="store_true",
                    help="feed batches gathered from the float16 array instead of one tensor of it (80k crops x 14 maps "
                         "is 9 GB; a tensor copy would double it)")
    ap.add_argument("--stop-after", type=float, default=0,
                    help="a safety net on a shared host: stop training after this many seconds of fit (checked after "
                         "every batch), then export as usual; the learning-rate schedule stays that of --epochs, so a "
                         "stopped model is not annealed -- say so wherever its figures go")
    a = ap.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(a.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(a.seed)

    def inputs(d, dtype=np.float16):
        """The model's inputs, built in chunks straight into one array (half precision for the
        training set: 40k crops x 11 channels in float32 and its copies do not fit in memory)."""
        from edge.vision.smoke.classifier import reference_features
        n = len(d["images"])
        x = None
        for i in range(0, n, 2000):
            c = d["images"][i:i + 2000].astype(np.float32) / 255.0
            if a.reference:
                c = reference_features(c, d["references"][i:i + 2000].astype(np.float32) / 255.0, a.ref_channels)
            if x is None:
                x = np.empty((n,) + c.shape[1:], dtype)
            x[i:i + len(c)] = c
        return x

    def targets(d):
        return np.concatenate([soft_targets(d["opacity"]), d["opacity"][:, None]], axis=1).astype(np.float32)

    def load(name):
        d = np.load(os.path.join(a.data, name + ".npz"))
        keep = d["observable"] & (d["visible"] if "visible" in d else True)
        if a.limit and name != "val":
            keep[np.cumsum(keep) > a.limit] = False  # the first N usable crops (the set is shuffled)
        return {k: d[k][keep] for k in ("images", "references", "opacity", "level")}

    parts = [load(n) for n in a.train_files.split(",")]
    tr = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    x = inputs(tr)  # float16; cast back per batch
    y = targets(tr)
    val = None
    if os.path.exists(os.path.join(a.data, "val.npz")):
        vd = load("val")
        val = (inputs(vd, np.float32), targets(vd))
    print("train %d crops, %d channels; monitoring on %s" % (
        len(x), x.shape[-1], "val (%d crops)" % len(val[0]) if val else "nothing"), flush=True)

    model = build_model(tf, x.shape[-1], tuple(int(v) for v in a.filters.split(",")), a.core_readout)
    print("parameters: %d" % model.count_params(), flush=True)
    steps = a.epochs * int(np.ceil(len(x) / a.batch))
    lr = tf.keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.02)

    def level_acc(yt, yp):
        return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(yt[:, :6], 1), tf.argmax(yp[:, :6], 1)), tf.float32))

    def opacity_mae(yt, yp):
        return tf.reduce_mean(tf.abs(yt[:, 6] - yp[:, 6]))
    model.compile(tf.keras.optimizers.Adam(lr), loss=make_loss(tf), metrics=[level_acc, opacity_mae])
    counts = np.bincount(tr["level"], minlength=6).astype(np.float64)
    cw = (counts.sum() / 6 / np.maximum(counts, 1)) ** a.weight_power
    if a.balance_levels:  # levels 1-5 as if each had their mean count, level 0 as it is
        even = counts.copy()
        even[1:] = counts[1:].mean()
        cw = (even / np.maximum(counts, 1)) * (counts.sum() / 6 / np.maximum(even, 1)) ** a.weight_power
    w = cw[tr["level"]].astype(np.float32)
    w /= w.mean()
    print("level counts %s, level weights %s" % (counts.astype(int).tolist(), np.round(cw / (cw[tr["level"]].mean()), 2).tolist()), flush=True)
    if a.gather_batches:  # the same shuffle of indices; batches gathered from the float16 array (no tensor copy of it)
        def gather(ix):
            return x[ix].astype(np.float32), y[ix], w[ix]

        def fetch(ix):
            i, t, sw = tf.numpy_function(gather, [ix], [tf.float32, tf.float32, tf.float32])
            i.set_shape((None,) + x.shape[1:])
            t.set_shape((None, 7))
            sw.set_shape((None,))
            return tf.image.random_flip_left_right(i), t, sw  # per image on a batch
        ds = (tf.data.Dataset.from_tensor_slices(np.arange(len(x))).shuffle(len(x), seed=a.seed)
              .batch(a.batch).map(fetch).prefetch(2))
    else:
        ds = (tf.data.Dataset.from_tensor_slices((x, y, w)).shuffle(len(x), seed=a.seed)
              .map(lambda i, t, sw: (tf.image.random_flip_left_right(tf.cast(i, tf.float32)), t, sw)).batch(a.batch))
    t0 = time.time()
    callbacks = []
    if a.stop_after:
        class StopAfter(tf.keras.callbacks.Callback):
            steps = 0

            def on_train_batch_end(self, batch, logs=None):
                self.steps += 1
                if time.time() - t0 > a.stop_after and not self.model.stop_training:
                    print("--stop-after: stopping after %d of %d steps, %.0f s" % (self.steps, steps, time.time() - t0),
                          flush=True)
                    self.model.stop_training = True
        callbacks.append(StopAfter())
    model.fit(ds, epochs=a.epochs, validation_data=val, verbose=2, callbacks=callbacks)
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

    for kind in ("fp32", "int8"):
        t = time.time()
        convert(kind)
        print("  conversion %.1f s" % (time.time() - t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
