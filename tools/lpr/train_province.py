"""Train the province classifier (models/plate_province_fp32.tflite) on rendered plates.

    sh tools/lpr/setup_venv.sh
    nice -n 10 .venv-lpr/bin/python -m tools.lpr.train_province [--train 20000] [--epochs 10]

Why: the recogniser's provinces come from CCPD (~95 % 皖): on real photos from other provinces
the province is most of its misses (粤 -> 京/闽). This model sees only the province's cell of
the rectified plate (edge/vision/plates/province.py `cell`) and was trained on all 31 provinces
alike: plates of the seven kinds, 80 % in the plate typeface (renderer B: glyphs from real
plates on plate blanks, embossing, wear, mud) and 20 % in Debian's CJK fonts, seen as the reader
sees them (render.close_view: perspective, blur, glare, night, JPEG, casts; detector-like
corners) and warped as the reader warps them. Epoch chosen on a rendered validation set; the
real photos are never trained on and measure it (tools/lpr/evaluate.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.vision.plates import rectify  # noqa: E402
from edge.vision.plates.formats import PROVINCES  # noqa: E402
from edge.vision.plates.province import IN, cell, model_input  # noqa: E402
from tools.lpr import render as R, trainkit  # noqa: E402

OUT = ROOT / "var" / "lpr" / "province"
KIND_P = {"blue": 0.3, "yellow": 0.2, "yellow_two_row": 0.18, "green": 0.14, "yellow_green": 0.1,
          "white": 0.04, "black": 0.04}
GLYPH_P = 0.8


def log(msg):
    print("[province] " + msg, flush=True)


def sample(rng):
    kinds, p = list(KIND_P), list(KIND_P.values())
    kind = kinds[rng.choice(len(kinds), p=p)]
    text = PROVINCES[rng.integers(len(PROVINCES))] + R.random_text(kind, rng)[1:]
    if text.startswith("粤Z") is False and text[-1] in "港澳":
        text = "粤Z" + text[2:]
    if rng.random() < GLYPH_P:
        plate, _ = R.render_plate(text, kind, rng, R.GLYPH, stroke=int(rng.integers(-1, 3)))
    else:
        plate, _ = R.render_plate(text, kind, rng, R.FONTS[int(rng.integers(len(R.FONTS)))],
                                  stroke=int(rng.integers(-2, 4)))
    img, corners = R.close_view(plate, rng)
    two_row = kind == "yellow_two_row"
    size = (rectify.W2, rectify.H2) if two_row else (rectify.W, rectify.H)
    return model_input(cell(rectify.warp(img, corners, size), two_row))[0], PROVINCES.index(text[0])


def make(n, seed, tag):
    return trainkit.render(n, seed, tag, lambda rng: [sample(rng)], log)


def build():
    import tensorflow as tf
    L = tf.keras.layers
    inp = L.Input((IN, IN, 1))
    x = inp
    for f in (32, 64, 96):
        x = L.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.MaxPool2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dropout(0.3)(x)
    x = L.Dense(128, activation="relu")(x)
    out = L.Dense(len(PROVINCES), activation="softmax")(x)
    return tf.keras.Model(inp, out)


def augment(x, rng):
    """Per batch: random polarity (white ink on blue, black ink on yellow), small shifts."""
    x = x.copy()
    flip = rng.random(len(x)) < 0.5
    x[flip] = 1 - x[flip]
    dx, dy = rng.integers(-2, 3, 2)
    return np.roll(np.roll(x, int(dy), 1), int(dx), 2)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=20000)
    ap.add_argument("--val", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=51)
    ap.add_argument("--out", default=str(ROOT / "models" / "plate_province_fp32.tflite"))
    a = ap.parse_args(argv)
    tf = trainkit.start_tf(a.seed, 2)
    xt, yt, xv, yv = trainkit.cached_sets(OUT, (a.train, a.val, a.seed), lambda: make(
        a.train, (a.seed, 0), "train") + make(a.val, (a.seed, 1), "val"), log)
    model = build()
    steps = a.epochs * (len(xt) // 128)
    model.compile(optimizer=tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(a.seed)
    best, best_w = -1.0, None
    for ep in range(a.epochs):
        order = rng.permutation(len(xt))
        t0 = time.time()
        for i in range(0, len(order) - 127, 128):
            idx = order[i:i + 128]
            model.train_on_batch(augment(xt[idx], rng), yt[idx])
        acc = float((model.predict(xv, verbose=0).argmax(1) == yv).mean())
        log("epoch %d/%d: val accuracy %.4f, %.0f s" % (ep + 1, a.epochs, acc, time.time() - t0))
        if acc > best:
            best, best_w = acc, model.get_weights()
    model.set_weights(best_w)
    pv = model.predict(xv, verbose=0).argmax(1)
    worst = sorted(((float((pv[yv == i] == i).mean()), p) for i, p in enumerate(PROVINCES) if (yv == i).any()))[:6]
    log("kept val accuracy %.4f; worst: %s" % (best, ", ".join("%s %.2f" % (p, v) for v, p in worst)))
    return trainkit.export_tflite(model, xv, a.out, (1, IN, IN, 1), log)


if __name__ == "__main__":
    sys.exit(main())
