"""PlateVote: several frames' reads of one passing vehicle -> one plate, or none yet.

One frame's read is often one character off (motion blur, glare); a real gate reads the truck
in many frames. We vote per character position among reads of the most common length and
colour, weighting by confidence, and only answer once enough frames agree — a plate that
reaches the platform is a consensus, not the luckiest frame. Pure: MicroPython-safe.
"""


class PlateVote:
    def __init__(self, min_reads=3, min_agreement=0.6, min_confidence=0.5):
        self.min_reads = min_reads
        self.min_agreement = min_agreement
        self.min_confidence = min_confidence
        self.reads = []

    def reset(self):
        self.reads = []

    def add(self, plate, color, confidence):
        """Add one frame's read; low-confidence reads still count toward length/colour."""
        if plate:
            self.reads.append((plate, color, float(confidence)))

    def result(self):
        """(plate, color, confidence) once enough reads agree, else None.

        confidence = the weighted share of reads that agree with the voted plate in every
        position, times their mean confidence."""
        good = [r for r in self.reads if r[2] >= self.min_confidence]
        if len(good) < self.min_reads:
            return None
        length = _mode([len(p) for p, _, _ in good])
        color = _mode([c for _, c, _ in good])
        same = [r for r in good if len(r[0]) == length]
        chars = []
        for i in range(length):
            weights = {}
            for p, _, conf in same:
                weights[p[i]] = weights.get(p[i], 0.0) + conf
            best = max(weights, key=lambda ch: (weights[ch], ch))
            chars.append(best)
        plate = "".join(chars)
        agree = [conf for p, _, conf in good if p == plate]
        share = len(agree) / len(good)
        if share < self.min_agreement:
            return None
        return plate, color, round(share * sum(agree) / len(agree), 4)


def _mode(values):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts, key=lambda v: (counts[v], str(v)))
