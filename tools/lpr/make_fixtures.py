"""Regenerate the rendered test fixtures under tests/vision/fixtures/ (the real crops/scenes
there are copies from ../shared/data/plates with their labels in labels.tsv).

    .venv/bin/python -m tools.lpr.make_fixtures
"""
import sys
from pathlib import Path

import cv2
import numpy as np

from tools.lpr import render

OUT = Path(__file__).resolve().parents[2] / "tests" / "vision" / "fixtures"

# (file, plate text, kind): clean renders at half scale (1 px = 2 mm), one per layout the
# CCPD dev set lacks.
RENDERED = [
    ("synth_two_row_yellow.png", "云A12345", "yellow_two_row"),
    ("synth_green_nev.png", "云AD12345", "green"),
    ("synth_yellow_green_nev.png", "云A12345D", "yellow_green"),
    ("synth_yellow.png", "云F8K321", "yellow"),
    ("synth_white_police.png", "云A1234警", "white"),
    ("synth_black_hk.png", "粤Z1234港", "black"),
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    for name, text, kind in RENDERED:
        plate, color = render.render_plate(text, kind, rng, render.FONTS[0], scale=0.5)
        cv2.imwrite(str(OUT / name), np.clip(plate, 0, 255).astype(np.uint8)[..., ::-1])
        print(name, text, color)
    return 0


if __name__ == "__main__":
    sys.exit(main())
