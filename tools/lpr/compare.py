"""Reader variants side by side on the same sets (measure only, never train): the real dev
scenes and crops, other real crop sets, rendered sets (tools/lpr/render.py folders).

    .venv/bin/python -m tools.lpr.compare --variant NAME:MODELS_DIR[:key=value,...] ... [--crops DIR] [--synth DIR]

Each variant is a models directory (missing files are taken from models/) and PlateReader
keyword arguments; prints plate exact, province character and colour per set, and per kind /
province where the set has them, plus CPU ms per image (time.process_time).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.lpr import evaluate  # noqa: E402


# where each kind of set keeps its labels (tools/lpr/evaluate.py eval_scenes / eval_crops / eval_synth)
LABELS = {"scenes": "scenes/labels.tsv", "crops": "crops/labels.tsv", "synth": "labels.tsv"}


def models_with(over):
    """A directory holding models/ with the files of `over` in their place."""
    tmp = Path(tempfile.mkdtemp(prefix="lpr-models-"))
    for f in (ROOT / "models").iterdir():
        if f.name.startswith("plate_") or f.name.startswith("selftest"):
            (tmp / f.name).symlink_to(f)
    if over:
        for f in Path(over).glob("plate_*"):
            (tmp / f.name).unlink(missing_ok=True)
            (tmp / f.name).symlink_to(f.resolve())
    return tmp


def parse_variant(text):
    name, _, rest = text.partition(":")
    over, _, kw = rest.partition(":")
    kwargs = {}
    for item in filter(None, kw.split(",")):
        k, _, v = item.partition("=")
        if v.lower() in ("none", "true", "false"):
            kwargs[k] = {"none": None, "true": True, "false": False}[v.lower()]
        else:
            try:
                kwargs[k] = float(v) if "." in v else int(v)
            except ValueError:
                kwargs[k] = v           # a word (variant=fp16)
    return name, over, kwargs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", required=True)
    ap.add_argument("--data", default=str(evaluate.DEFAULT_DATA))
    ap.add_argument("--crops", action="append", default=[], help="another real set with crops/labels.tsv")
    ap.add_argument("--synth", action="append", default=[])
    ap.add_argument("--no-dev", action="store_true")
    ap.add_argument("--show-errors", action="store_true")
    a = ap.parse_args(argv)
    sets = []
    data = Path(a.data)
    if not a.no_dev:
        sets += [("dev scenes", "scenes", data), ("dev crops", "crops", data)]
    sets += [("crops " + Path(c).name, "crops", Path(c)) for c in a.crops]
    sets += [("synth " + Path(s).name, "synth", Path(s)) for s in a.synth]
    # every folder checked before the first variant runs: no half-finished comparison
    missing = [str(path / LABELS[kind]) for _, kind, path in sets if not (path / LABELS[kind]).is_file()]
    if missing:
        ap.error("no labels.tsv: %s (render the set or fetch it first)" % ", ".join(missing))
    from edge.vision.plates import PlateReader
    for spec in a.variant:
        name, over, kw = parse_variant(spec)
        reader = PlateReader(str(models_with(over)), threads=1, **kw)
        print("== %s (%s %s)" % (name, over or "models/", kw), flush=True)
        for label, kind, path in sets:
            t0 = time.process_time()
            col = evaluate.Tally()
            if kind == "scenes":
                t = evaluate.eval_scenes(reader.read, path, a.show_errors, col)
            elif kind == "crops":
                t = evaluate.eval_crops(reader.read_crop, path, a.show_errors, col)
            else:
                t, col = evaluate.eval_synth(reader, path, a.show_errors)
            n = max(1, t.n["all"])
            extra = " ".join("%s %d/%d" % (k.split(":")[1], t.ok[k], t.n[k]) for k in sorted(t.n) if k.startswith("kind:"))
            print("  %-22s exact %s  province %s  colour %s  cpu %.1f ms/img  %s" % (
                label, t.line("all"), t.line("province_char"), col.line("all"),
                (time.process_time() - t0) * 1000 / n, extra), flush=True)
            per = " ".join("%s %d/%d" % (k.split(":")[1], col.ok[k], col.n[k]) for k in sorted(col.n)
                           if k.startswith(("kind:", "colour:")))
            print("  %-22s colour per %s: %s; %s" % ("", "kind" if kind == "synth" else "colour", per,
                                                   evaluate.flag_line(col)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
