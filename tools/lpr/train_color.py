"""Train the plate colour classifier (models/plate_color_fp32.tflite) on rendered plates.

    sh tools/lpr/setup_venv.sh
    nice -n 10 .venv-lpr/bin/python -m tools.lpr.train_color [--train 30000] [--epochs 12]

Why a model: the HSV vote (edge/vision/plates/color.py `classify_rule`) reads hue alone, so a
colour cast moves it -- real blue plates under sodium light or a green/cyan white balance were
read yellow, green or black -- and a patch of grey-green mud on a yellow truck plate made it
yellow-green. A small CNN sees the whole rectified plate, ink and background together, and
learns colour relative to the ink.

Data: plates of the seven kinds in the plate typeface (renderer B, render.GLYPH: real-plate
glyphs on plate blanks with embossing, wear, mud, bars), seen as the reader sees them
(render.close_view: perspective, blur, glare, night, JPEG, colour casts), warped from
detector-like corners exactly as the reader warps them (220x70, or 220x110 for two-row plates)
and shrunk to 24x64. The epoch is chosen on a rendered validation set of renderer B; renderer A
(fonts) and the real photos are never trained on and measure it (tools/lpr/evaluate.py).

Output: softmax over COLORS (edge/vision/plates/color.py), TFLite fp32 (~30 KiB).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from edge.vision.plates import rectify  # noqa: E402
from edge.vision.plates.color import COLORS, MODEL_H, MODEL_W, model_input  # noqa: E402
from tools.lpr import render as R, trainkit  # noqa: E402

OUT = ROOT / "var" / "lpr" / "color"
# lane traffic at a works gate: yellow trucks and blue cars, the rest rarer; the rare kinds
# still get enough samples to be learned
KIND_P = {"blue": 0.25, "yellow": 0.2, "yellow_two_row": 0.13, "green": 0.14, "yellow_green": 0.12,
          "white": 0.08, "black": 0.08}


def log(msg):
    print("[color] " + msg, flush=True)


def sample(rng):
    kinds, p = list(KIND_P), list(KIND_P.values())
    kind = kinds[rng.choice(len(kinds), p=p)]
    text = R.random_text(kind, rng)
    plate, color = R.render_plate(text, kind, rng, R.GLYPH, stroke=int(rng.integers(-1, 3)))
    img, corners = R.close_view(plate, rng)
    if rng.random() < 0.3:               # stronger casts than the recogniser's training sees
        img = R.cast(img, rng, strength=1.6)
    # the reader warps by its own row decision; ambiguous shapes are warped both ways
    two_row = kind == "yellow_two_row"
    if rng.random() < 0.1:
        two_row = not two_row
    if rng.random() < 0.3:               # a crop cut loosely around the plate (read_crop)
        c = corners.mean(0)
        corners = ((corners - c) * rng.uniform(1.05, 1.3, 2) + c).astype(np.float32)
    size = (rectify.W2, rectify.H2) if two_row else (rectify.W, rectify.H)
    return model_input(rectify.warp(img, corners, size))[0], COLORS.index(color)


def make(n, seed, tag):
    return trainkit.render(n, seed, tag, lambda rng: [sample(rng)], log)


def build():
    import tensorflow as tf
    L = tf.keras.layers
    inp = L.Input((MODEL_H, MODEL_W, 3))
    x = inp
    for f in (16, 32, 48):
        x = L.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
        x = L.MaxPool2D(2)(x)
    # colour is a property of the whole plate: average and max over it (a mud patch or a
    # glare spot should not decide)
    x = L.Concatenate()([L.GlobalAveragePooling2D()(x), L.GlobalMaxPooling2D()(x)])
    x = L.Dense(32, activation="relu")(x)
    out = L.Dense(len(COLORS), activation="softmax")(x)
    return tf.keras.Model(inp, out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=24000)
    ap.add_argument("--val", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=str(ROOT / "models" / "plate_color_fp32.tflite"))
    ap.add_argument("--export-only", action="store_true", help="convert the kept weights of the last run")
    a = ap.parse_args(argv)
    tf = trainkit.start_tf(a.seed, 2)
    xt, yt, xv, yv = trainkit.cached_sets(OUT, (a.train, a.val, a.seed), lambda: make(
        a.train, (a.seed, 0), "train") + make(a.val, (a.seed, 1), "val"), log)
    log("train per colour: %s" % ", ".join("%s %d" % (c, int((yt == i).sum())) for i, c in enumerate(COLORS)))
    model = build()
    ckpt = OUT / "best.weights.h5"
    if a.export_only:
        model.load_weights(str(ckpt))
        return export(model, xv, a.out)
    model.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    cb = [tf.keras.callbacks.ModelCheckpoint(str(ckpt), monitor="val_accuracy", save_best_only=True,
                                             save_weights_only=True),
          tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda ep, logs: log(
              "epoch %d: loss %.4f acc %.4f val_acc %.4f" % (ep + 1, logs["loss"], logs["accuracy"], logs["val_accuracy"])))]
    sched = tf.keras.optimizers.schedules.CosineDecay(2e-3, a.epochs * (len(xt) // 128))
    model.optimizer.learning_rate = sched
    model.fit(xt, yt, batch_size=128, epochs=a.epochs, validation_data=(xv, yv), callbacks=cb, verbose=0)
    model.load_weights(str(ckpt))
    pv = model.predict(xv, verbose=0).argmax(1)
    log("kept val accuracy %.4f; per colour: %s" % (float((pv == yv).mean()), ", ".join(
        "%s %.3f" % (c, float((pv[yv == i] == i).mean())) for i, c in enumerate(COLORS) if (yv == i).any())))
    return export(model, xv, a.out)


def export(model, xv, out):
    return trainkit.export_tflite(model, xv, out, (1, MODEL_H, MODEL_W, 3), log)


if __name__ == "__main__":
    sys.exit(main())
