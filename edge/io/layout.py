"""Fit the lane's display lines onto an LED display's rows (pure; MicroPython-friendly).

Widths are counted in half-width cells: a Chinese character is two (16 dots wide in a 16-dot
font), a digit or Latin letter one. A line wider than its row scrolls on that row only; when
there are more lines than rows, the first rows-1 lines keep their rows and the rest share the
last one, scrolling — so the status and the plate stay still and a long reason moves.
"""


def cells(text):
    n = 0
    for ch in text:
        n += 1 if ord(ch) < 0x2E80 else 2
    return n


def fit(lines, rows, cols):
    """[(text, scroll)] of exactly `rows` rows."""
    lines = [str(t).strip() for t in lines if t is not None and str(t).strip()]
    if rows <= 0:
        return []
    if len(lines) > rows:
        lines = lines[:rows - 1] + ["  ".join(lines[rows - 1:])]
    out = [(t, cells(t) > cols) for t in lines]
    while len(out) < rows:
        out.append(("", False))
    return out
