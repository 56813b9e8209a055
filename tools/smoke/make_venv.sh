#!/bin/sh
# Creates /work/main/.venv-smoke (gitignored): TensorFlow for training only. The board and the
# tests never import TF; they run the committed .tflite through ai-edge-litert.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV="$ROOT/.venv-smoke"
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import tensorflow, cv2, numpy" 2>/dev/null; then
    echo "installing tensorflow-cpu, opencv, numpy into $VENV (~1.6 GB, ~1 min)"
    "$VENV/bin/pip" install --progress-bar on "tensorflow-cpu==2.21.*" "keras==3.15.*" \
        opencv-python-headless numpy pillow
fi
"$VENV/bin/python" -c "import tensorflow as tf; print('tensorflow', tf.__version__)"
