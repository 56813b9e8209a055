"""Reads checked against the site's ledger: a doubtful read of a registered plate snaps to it.

Most vehicles at a works gate are in the site's vehicle ledger. When the recogniser's own
probabilities allow a ledger plate almost as well as its free read -- the province or one
character is the only doubt -- the read becomes that plate, and the record keeps the free read
and the evidence. A vehicle that is not in the ledger is read freely: a confident read is never
pulled onto a registered plate, because the ledger plate must be nearly as probable *under the
recogniser* as what it read (`SNAP_MIN_RATIO`), and only one ledger plate may be (`SNAP_UNIQUE`).

The score is the CTC probability of a whole plate given the recogniser's per-step class
probabilities (the forward algorithm: every alignment of the text to the 40 steps counts),
so a dropped, doubled or substituted character is judged by the same numbers.

    index = PlateIndex(["宁RV24HB", "苏VFK9696"])          # or PlateIndex.load("ledger.csv")
    reads = PlateReader().read(frame, ledger=index)
    reads[0]["ledger"]        # "exact" | "snapped" | "absent" (None without a ledger)
    reads[0]["snapped_from"]  # the free read when snapped, with reads[0]["snap"] the evidence

Pure numpy; no I/O except `PlateIndex.load`.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

# A ledger plate is taken when its CTC probability is at least this share of the free read's
# (e.g. the free read has 皖 at 0.34 and the ledger's 苏 0.16 at that step: 0.49). A confident
# read of an unregistered vehicle gives its one-character neighbours far less (< 0.001 typical).
# Chosen on the real dev crops (tools/lpr/eval_ledger.py, models/plate_rec.md): the ten right
# snaps there had ratios 0.41-0.97; against a ledger holding every one-character neighbour of
# an absent plate, 0.05 made 13 false snaps of 341 and 0.4 makes 5.
SNAP_MIN_RATIO = 0.4
# ...and no other ledger plate within a tenth of the best one (two near candidates: no snap).
SNAP_UNIQUE = 0.1
# Share of passages that are registered vehicles, for the confidence of a snapped read (the
# posterior of the ledger plate against the free read). Only scales the reported confidence;
# whether to snap is decided by the two thresholds above.
REGISTERED_PRIOR = 0.9
# candidates: ledger plates within this Levenshtein distance of the free read
MAX_EDITS = 2
_SEPARATORS = " ·•.-_\u3000"
PLATE_COLUMNS = ("licenseplate", "plate", "plate_no", "plateno", "车牌号", "车牌号码", "号牌号码", "车牌")


def normalise(plate):
    """'宁RV·24HB ' -> '宁RV24HB' (separators dropped, Latin upper case)."""
    return "".join(ch for ch in str(plate).strip().upper() if ch not in _SEPARATORS)


def _deletes(word, depth):
    """`word` with up to `depth` characters deleted (symmetric-delete neighbourhood)."""
    out, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


class PlateIndex:
    """The ledger's plates, indexed for near-neighbour look-up (deletes up to MAX_EDITS)."""

    def __init__(self, plates):
        self.plates = sorted({normalise(p) for p in plates if normalise(p)})
        self._set = set(self.plates)
        self._by_delete = {}
        for p in self.plates:
            for d in _deletes(p, MAX_EDITS):
                self._by_delete.setdefault(d, []).append(p)

    def __len__(self):
        return len(self.plates)

    def __contains__(self, plate):
        return normalise(plate) in self._set

    def near(self, text, max_edits=MAX_EDITS):
        """Ledger plates within `max_edits` edits of `text` (exact match included)."""
        found = set()
        for d in _deletes(text, max_edits):
            found.update(self._by_delete.get(d, ()))
        return sorted(p for p in found if levenshtein(p, text) <= max_edits)

    @classmethod
    def load(cls, path):
        """One plate a line, or a CSV with a header naming the plate column (licensePlate,
        plate, 车牌号 ...; the 6.11 ledger export). Raises ValueError naming the file."""
        text = Path(path).read_text(encoding="utf-8-sig")
        return cls(parse_plates(text, str(path)))


def parse_plates(text, name="ledger"):
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    first = lines[0]
    if "," in first or "\t" in first:
        dialect = "excel-tab" if "\t" in first else "excel"
        rows = list(csv.reader(io.StringIO("\n".join(lines)), dialect))
        header = [h.strip().lower() for h in rows[0]]
        for col in PLATE_COLUMNS:
            if col in header:
                k = header.index(col)
                return [r[k] for r in rows[1:] if len(r) > k and r[k].strip()]
        raise ValueError("%s: no plate column in the header (one of %s)" % (name, ", ".join(PLATE_COLUMNS)))
    return [ln.strip() for ln in lines if not ln.lstrip().startswith("#")]


def ctc_log_prob(probs, labels):
    """log P(labels | probs) under CTC (blank = class 0): the forward algorithm over [T, C]."""
    T = probs.shape[0]
    ext = [0]
    for k in labels:
        ext += [k, 0]
    S = len(ext)
    p = np.maximum(probs[:, ext], 1e-30)                      # [T, S]
    ext = np.array(ext)
    # a step may skip the blank between two different labels
    skip = np.zeros(S, bool)
    skip[2:] = (ext[2:] != 0) & (ext[2:] != ext[:-2])
    alpha = np.zeros(S)
    alpha[0] = p[0, 0]
    if S > 1:
        alpha[1] = p[0, 1]
    log_scale = 0.0
    for t in range(1, T):
        a = alpha.copy()
        a[1:] += alpha[:-1]
        a[2:] += np.where(skip[2:], alpha[:-2], 0.0)
        alpha = a * p[t]
        s = alpha.sum()
        if s <= 0:
            return -math.inf
        alpha /= s
        log_scale += math.log(s)
    end = alpha[-1] + (alpha[-2] if S > 1 else 0.0)
    return log_scale + math.log(end) if end > 0 else -math.inf


class Snap:
    """Outcome of `check`: `status` "exact" | "snapped" | "absent", the plate to report and
    the evidence (free read, ratio, per-position probabilities, near candidates)."""

    __slots__ = ("status", "plate", "ratio", "evidence")

    def __init__(self, status, plate, ratio=None, evidence=None):
        self.status, self.plate, self.ratio, self.evidence = status, plate, ratio, evidence or {}

    def __repr__(self):
        return "Snap(%r, %r, %s)" % (self.status, self.plate, self.ratio)

    def confidence(self, free_confidence):
        """Confidence of the snapped plate: the posterior of the ledger plate against the free
        read at the doubted positions (ratio x REGISTERED_PRIOR against 1 - prior), times the
        recogniser's confidence in the positions both agree on."""
        r = self.ratio * REGISTERED_PRIOR
        posterior = r / (r + 1 - REGISTERED_PRIOR)
        doubted = [d["p_read"] for d in self.evidence.get("positions", ())]
        if doubted:
            agreed = free_confidence / max(1e-9, float(np.prod(doubted)))
        else:
            agreed = free_confidence * max(1.0, self.ratio)
        return float(min(1.0, posterior * min(1.0, agreed)))


def _step_of_chars(probs, chars_index, text):
    """For a greedy read, the time step where each emitted character peaks."""
    idx = probs.argmax(1)
    steps, prev = [], 0
    for t, k in enumerate(idx):
        if k != prev and k != 0:
            steps.append(t)
        elif k == prev and k != 0 and steps and probs[t, k] > probs[steps[-1], k]:
            steps[-1] = t
        prev = k
    return steps if len(steps) == len(text) else None


def check(text, probs, chars, index, min_ratio=SNAP_MIN_RATIO, unique=SNAP_UNIQUE):
    """Snap for the free read `text` with per-step probabilities `probs` [T, C] (class 0 =
    blank, class k = chars[k]) against the PlateIndex `index`."""
    if text in index:
        return Snap("exact", text)
    lookup = {c: i for i, c in enumerate(chars) if c}
    cands = [p for p in index.near(text) if all(ch in lookup for ch in p)]
    if not cands:
        return Snap("absent", text, evidence={"candidates": 0})
    free = ctc_log_prob(probs, [lookup[c] for c in text if c in lookup])
    scored = sorted(((ctc_log_prob(probs, [lookup[c] for c in p]) - free, p) for p in cands), reverse=True)
    best_lr, best = scored[0]
    ratio = math.exp(min(50.0, best_lr))
    evidence = {"free_read": text, "candidates": [{"plate": p, "ratio": round(math.exp(min(50.0, lr)), 6)}
                                                  for lr, p in scored[:3]]}
    runner_up = math.exp(min(50.0, scored[1][0])) if len(scored) > 1 else 0.0
    if ratio < min_ratio or runner_up > ratio * unique:
        return Snap("absent", text, ratio, evidence)
    # per-position evidence where the two texts line up one to one (substitutions)
    if len(best) == len(text):
        steps = _step_of_chars(probs, lookup, text)
        if steps:
            evidence["positions"] = [
                {"pos": i + 1, "read": a, "p_read": round(float(probs[t, lookup[a]]), 4),
                 "ledger": b, "p_ledger": round(float(probs[t, lookup[b]]), 4)}
                for i, (a, b, t) in enumerate(zip(text, best, steps)) if a != b]
    return Snap("snapped", best, ratio, evidence)
