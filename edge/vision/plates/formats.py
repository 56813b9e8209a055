"""National plate formats (GA 36-2018 and its 2022 new-energy extension), as pure rules.

`check(plate)` says which kind a read is, or why it is not a valid plate. A read that breaks
the rules is reported as such (the reader lowers its confidence and carries the reason); it is
never rewritten into a different plate here.

Kinds and their layouts (P = province, L = issuing-authority letter, S = serial character
A-Z without I/O or 0-9, 9 = digit):
  ordinary      P L S S S S S          blue / yellow / black / white
  coach (学)    P L S S S S 学         yellow
  trailer (挂)  P L S S S S 挂         yellow
  police (警)   P L S S S S 警         white
  consulate (领) P L S S S S 领        black
  hk_macao      P L S S S S 港|澳      black (粤Z only)
  emergency     P L S S S S 应急       (2018 rescue vehicles; our recogniser has no 应急)
  embassy (使)  使 9 9 9 9 9 9          black (使 first, 3-digit country + 3-digit serial)
  nev_small     P L X S 9 9 9 9        green gradient: X in D A B C E (electric) / F G H J K
  nev_large     P L 9 9 9 9 9 X        yellow-green: X in D (electric) / F (hybrid)
"""
import re

PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"          # I and O are never used
SERIAL = LETTERS + "0123456789"
NEV_SMALL_FIRST = "DABCEFGHJK"               # D A B C E: pure electric; F G H J K: other
NEV_LARGE_LAST = "DF"
SUFFIXES = {"学": "coach", "挂": "trailer", "警": "police", "领": "consulate",
            "港": "hk_macao", "澳": "hk_macao", "应急": "emergency"}

# Which colours each kind is issued in (colour words of edge.domain.codes.plate_color_code).
KIND_COLORS = {
    "ordinary": ("blue", "yellow", "black", "white"),
    "coach": ("yellow",), "trailer": ("yellow",), "police": ("white",),
    "consulate": ("black",), "hk_macao": ("black",), "embassy": ("black",),
    "emergency": ("white", "blue", "yellow"),
    "nev_small": ("green",), "nev_large": ("yellow_green",),
}

# How often a plate read as each kind really is each colour, relative to the kind's common colour
# (1.0); the colour decision multiplies the colour evidence by it (color.decide) and chooses among
# the colours listed. Source: GA 36 (2018) issues black only to 使 embassy, 领 consulate and
# 粤Z..港/澳 cross-border vehicles (and, before 2018, to a few foreign-owned vehicles with an
# ordinary-looking number), white only to 警 police and 应急 vehicles, and gives every other
# 7-character civil plate blue (small vehicles) or yellow (large vehicles, the trucks at a site
# gate: no preference between the two). So a read of the ordinary format that is really black or
# white is a legacy foreign plate or a suffix plate whose suffix was misread: far rarer than 1 in
# 20 at a site gate. RARE_COLOUR_PRIOR is not that frequency: the colour evidence (CNN x vote, a
# product of experts) is not a calibrated likelihood. It is the middle (on a log scale) of the
# range that does both jobs on the tuning sets: the dev set's dark blue plates read black need a
# weight below 0.31 (their black:blue evidence is 1.5-3.2), and rendered 港/澳/领/警 plates whose
# suffix was misread (8 of 600, read as ordinary) stay black/white only above 0.045 (their
# evidence is 22-1500 to 1); 0.1 leaves each side a margin of 2-3.
RARE_COLOUR_PRIOR = 0.1
# A small NEV plate (green, 8 characters) read with 7 has lost a character: the read is wrong,
# the colour need not be. The format rules green out for a 7-character read, but when the pixels
# say green ten times more than blue or yellow, green is the likelier truth (real dev: 皖AD14488
# read 皖A01488 / 皖AD1488, green 0.66 against blue 0.01-0.03). Yellow-green stays ruled out:
# mud on a yellow truck plate looks like the large-NEV yellow|green split, and yellow trucks
# outnumber NEV trucks at a site gate. models/plate_color.md, round 2.
LOST_CHARACTER_PRIOR = 0.1
KIND_COLOR_PRIOR = {
    "ordinary": {"blue": 1.0, "yellow": 1.0, "black": RARE_COLOUR_PRIOR, "white": RARE_COLOUR_PRIOR,
                 "green": LOST_CHARACTER_PRIOR},
}
# every other kind: its colours weighted alike (one colour, or 应急, which our recogniser cannot
# read and whose mix of colours we have no figure for)
for _kind, _colours in KIND_COLORS.items():
    KIND_COLOR_PRIOR.setdefault(_kind, {c: 1.0 for c in _colours})
    assert set(_colours) <= set(KIND_COLOR_PRIOR[_kind]), _kind

_P = "[" + PROVINCES + "]"
_L = "[" + LETTERS + "]"
_S = "[" + SERIAL + "]"


class FormatCheck:
    """Outcome of `check`: ok, the kind (None if not valid) and a reason when not ok."""

    __slots__ = ("ok", "kind", "reason")

    def __init__(self, ok, kind, reason=""):
        self.ok, self.kind, self.reason = ok, kind, reason

    def __repr__(self):
        return "FormatCheck(%r, %r, %r)" % (self.ok, self.kind, self.reason)


def _why_not(plate):
    """First rule `plate` breaks, for a human (position numbers from 1)."""
    if not plate:
        return "empty read"
    if plate[0] != "使" and plate[0] not in PROVINCES:
        return "position 1 %r is not a province abbreviation" % plate[0]
    n = len(plate)
    if plate[0] == "使":
        return "embassy plate must be 使 + 6 digits"
    if n < 7:
        return "too short: %d characters (7 or 8 expected)" % n
    if n > 8:
        return "too long: %d characters (7 or 8 expected)" % n
    if plate[1] not in LETTERS:
        return "position 2 %r is not an issuing-authority letter (A-Z without I/O)" % plate[1]
    body = plate[2:]
    for i, ch in enumerate(body):
        if ch in "IO":
            return "position %d is %r: I and O are not used on plates" % (i + 3, ch)
    if n == 8 and not plate.endswith("应急"):
        if body[0] in NEV_SMALL_FIRST or body[-1] in NEV_LARGE_LAST:
            if body[0] in NEV_SMALL_FIRST:
                return "small new-energy plate: positions 5-8 must be digits"
            return "large new-energy plate: positions 3-7 must be digits"
        return ("8-character plate needs D/F-type letter at position 3 (small new-energy) "
                "or D/F at position 8 (large new-energy)")
    for i, ch in enumerate(body):
        if ch not in SERIAL and not (i == len(body) - 1 and ch in SUFFIXES):
            if ch in SUFFIXES:
                return "suffix %r only allowed at the end" % ch
            return "position %d %r is not a plate character" % (i + 3, ch)
    return "not a known plate layout"


_RULES = (
    ("ordinary", re.compile("^" + _P + _L + _S + "{5}$")),
    ("nev_small", re.compile("^" + _P + _L + "[" + NEV_SMALL_FIRST + "]" + _S + "[0-9]{4}$")),
    ("nev_large", re.compile("^" + _P + _L + "[0-9]{5}[" + NEV_LARGE_LAST + "]$")),
    ("embassy", re.compile("^使[0-9]{6}$")),
    ("suffix", re.compile("^" + _P + _L + _S + "{4}(学|挂|警|领|港|澳|应急)$")),
)


def check(plate):
    """FormatCheck for a read written without separator (e.g. '皖AD14488')."""
    plate = plate or ""
    for kind, rx in _RULES:
        if rx.match(plate):
            if kind == "suffix":
                suffix = "应急" if plate.endswith("应急") else plate[-1]
                kind = SUFFIXES[suffix]
                if kind == "hk_macao" and not plate.startswith("粤Z"):
                    return FormatCheck(False, None, "港/澳 plates are issued as 粤Z only")
            return FormatCheck(True, kind)
    return FormatCheck(False, None, _why_not(plate))


def colour_fits(kind, color):
    """True if a plate of `kind` is issued in `color` (unknown kind/colour: True)."""
    if kind not in KIND_COLORS or not color or color == "unknown":
        return True
    return color in KIND_COLORS[kind]
