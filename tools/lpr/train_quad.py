"""Train the plate-outline model (models/plate_quad_fp32.tflite, edge/vision/plates/quad.py):
from a window around a detection, the whole plate's 4 corners and whether it has two rows.

    OMP_NUM_THREADS=1 nice -n 19 .venv-lpr/bin/python -m tools.lpr.train_quad --frames 1600 --epochs 6

(the shipped model; ~45 min rendering and ~35 min training on the shared 2-core machine, 1 thread)

Data: only renders in the plate typeface (renderer B, render.GLYPH: glyphs and blanks from
leijd/chinese_license_plate_generator, MIT), 65 % lorry fronts (render.truck_scene, most of them
two-row yellow plates), 35 % ordinary scenes (render.scene, all seven kinds), 960x540. Each
frame gives up to two samples from the real detector (the 384x640 one the lane uses on 16:9 frames:
its quads on two-row plates hold the bottom row only) and two from simulated detections (the
ground truth, or for a two-row plate its bottom 50-70 %, jittered), so the model learns the
detector's habits without depending on them alone. Renderer A (fonts), its truck scenes and
every real photo are never trained on: they measure it (tools/bench_lpr.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.vision.interpreter import load_model  # noqa: E402
from edge.vision.plates import quad  # noqa: E402
from edge.vision.plates.detector import PlateDetector  # noqa: E402
from tools.lpr import render as R, trainkit  # noqa: E402

OUT = ROOT / "var" / "lpr" / "quad"
SIZE = (960, 540)      # frames: the detector sees them at 640x360 anyway; rendering 1080p costs 4x
SIMULATED = 2          # simulated detections per frame, besides up to 2 of the detector's
TRUCK_P = {"yellow": 0.15, "yellow_two_row": 0.3, "yellow_trailer": 0.15, "yellow_green": 0.1, "green": 0.1,
           "blue": 0.2}
SCENE_P = {"blue": 0.35, "yellow": 0.15, "yellow_two_row": 0.15, "green": 0.13, "yellow_green": 0.1,
           "white": 0.06, "black": 0.06}


def log(msg):
    print("[quad] " + msg, flush=True)


def _pick(p, rng):
    keys = list(p)
    return keys[rng.choice(len(keys), p=list(p.values()))]


def simulated_detection(gt, two_row, rng):
    """Corners like the detector's: around the bottom row of a two-row plate, a few % off."""
    tl, tr, br, bl = gt
    if two_row:
        t = rng.uniform(0.3, 0.5)
        tl, tr = tl + (bl - tl) * t, tr + (br - tr) * t
    q = np.array([tl, tr, br, bl], np.float32)
    w = np.linalg.norm(tr - tl)
    return (q + rng.normal(0, 0.03 * w, q.shape)).astype(np.float32)


def frame_samples(rng, det):
    truck = rng.random() < 0.65
    if truck:
        text, kind = R.truck_text(_pick(TRUCK_P, rng), rng)
    else:
        kind = _pick(SCENE_P, rng)
        text = R.random_text(kind, rng)
    plate, _ = R.render_plate(text, kind, rng, R.GLYPH, stroke=int(rng.integers(-1, 3)))
    night = rng.random() < 0.2
    if truck:
        img, gt = R.truck_scene(plate, rng, size=SIZE, night=night, width_frac=(0.08, 0.2))
    else:
        img, gt = R.scene(plate, rng, size=SIZE, night=night, width_frac=(0.1, 0.3))
    two_row = kind == "yellow_two_row"
    (gx1, gy1), (gx2, gy2) = gt.min(0), gt.max(0)
    quads = []
    for d in det(img):
        cx, cy = (d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2
        if gx1 <= cx <= gx2 and gy1 <= cy <= gy2:
            quads.append(d.corners)
        if len(quads) == 2:
            break
    quads += [simulated_detection(gt, two_row, rng) for _ in range(SIMULATED)]
    out = []
    for q in quads:
        win = quad.window(q)
        x0, y0, x1, y1 = win
        target = ((gt - (x0, y0)) / (x1 - x0, y1 - y0)).reshape(-1)
        out.append((quad.model_input(img, win)[0], np.append(target, float(two_row)).astype(np.float32)))
    return out


def make(n_frames, seed, tag, det):
    return trainkit.render(n_frames, seed, tag, lambda rng: frame_samples(rng, det), log, every=500,
                           unit="frames", y_dtype=np.float32)


def build():
    import tensorflow as tf
    L = tf.keras.layers
    inp = L.Input((quad.IN_H, quad.IN_W, 3))
    x = inp
    for f in (16, 32, 48, 64):
        x = L.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.Conv2D(f, 3, strides=2, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
    # where the corners are is the answer: keep the map's layout (no global pooling)
    x = L.Flatten()(x)
    x = L.Dense(96, activation="relu")(x)
    out = L.Dense(9)(x)
    return tf.keras.Model(inp, out)


def loss_fn(y, p):
    import tensorflow as tf
    corners = tf.reduce_mean(tf.keras.losses.huber(y[:, :8], p[:, :8], delta=0.05))
    rows = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y[:, 8], logits=p[:, 8]))
    return corners * 20.0 + rows * 0.2


def report(model, xv, yv):
    p = model.predict(xv, verbose=0)
    err = np.abs(p[:, :8] - yv[:, :8]).reshape(-1, 4, 2) * (quad.IN_W, quad.IN_H)
    rows_ok = float(((p[:, 8] > 0) == (yv[:, 8] > 0.5)).mean())
    two = yv[:, 8] > 0.5
    return ("val corner error (input px) mean %.2f, 95th %.2f; two-row plates %.2f; rows right %.4f"
            % (err.mean(), np.percentile(err.max((1, 2)), 95), err[two].mean() if two.any() else 0, rows_ok))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1600)
    ap.add_argument("--val-frames", type=int, default=200)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=61)
    ap.add_argument("--out", default=str(ROOT / "models" / "plate_quad_fp32.tflite"))
    a = ap.parse_args(argv)
    if not (R.GLYPHS / "font_model").is_dir():
        raise SystemExit("train_quad: the plate typeface (renderer B) is not installed in %s" % R.GLYPHS)
    tf = trainkit.start_tf(a.seed, 1)

    def render_sets():
        det = PlateDetector(load_model(ROOT / "models" / "plate_det384_fp32.tflite", 1), score_threshold=0.05)
        return make(a.frames, (a.seed, 0), "train", det) + make(a.val_frames, (a.seed, 1), "val", det)
    xt, yt, xv, yv = trainkit.cached_sets(OUT, (a.frames, a.val_frames, a.seed), render_sets, log)
    log("%d train samples (%d two-row), %d val" % (len(xt), int(yt[:, 8].sum()), len(xv)))
    model = build()
    ckpt = OUT / "best.weights.h5"
    steps = a.epochs * (len(xt) // 64)
    model.compile(optimizer=tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  loss=loss_fn)
    cb = [tf.keras.callbacks.ModelCheckpoint(str(ckpt), monitor="val_loss", save_best_only=True,
                                             save_weights_only=True),
          tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda ep, logs: log(
              "epoch %d: loss %.4f val_loss %.4f" % (ep + 1, logs["loss"], logs["val_loss"])))]
    # shifts of the window are what the detector's error looks like: flip-free augmentation
    # is already in the data (real and simulated detections)
    model.fit(xt, yt, batch_size=64, epochs=a.epochs, validation_data=(xv, yv), callbacks=cb, verbose=0)
    model.load_weights(str(ckpt))
    log(report(model, xv, yv))
    return trainkit.export_tflite(model, xv, a.out, (1, quad.IN_H, quad.IN_W, 3), log)


if __name__ == "__main__":
    sys.exit(main())
