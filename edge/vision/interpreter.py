"""TFLite interpreter loading: ai-edge-litert first, tflite-runtime as the fallback.

ai-edge-litert is the maintained runtime (numpy 2, aarch64 wheels, TF ≥2.19 ops);
tflite-runtime 2.14 is slower and cannot load newer ops, so it is only a fallback for boards
where litert has no wheel. `delegate` names a delegate library (.so) from the board profile.
"""
from __future__ import annotations

import logging
from pathlib import Path

from edge.errors import EdgeError

log = logging.getLogger(__name__)


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter, load_delegate
        return "ai-edge-litert", Interpreter, load_delegate
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter, load_delegate
        return "tflite-runtime", Interpreter, load_delegate
    except ImportError:
        raise EdgeError("no TFLite interpreter: pip install ai-edge-litert (or tflite-runtime)") from None


def load_model(path: str | Path, threads: int = 1, delegate: str = ""):
    """An allocated interpreter for `path`, or EdgeError naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise EdgeError("model file %s not found" % path)
    backend, Interpreter, load_delegate = _interpreter_class()
    delegates = [load_delegate(delegate)] if delegate else None
    from edge.logsetup import native_to_debug
    with native_to_debug():   # TFLite's "INFO: Created ... delegate" to the log, not the console
        try:
            interp = Interpreter(model_path=str(path), num_threads=max(1, threads),
                                 experimental_delegates=delegates)
        except ValueError as e:
            raise EdgeError("cannot load model %s: %s" % (path, e)) from None
        interp.allocate_tensors()
    log.debug("loaded %s with %s (%d threads%s)", path.name, backend, threads,
              ", delegate " + delegate if delegate else "")
    return interp


class VectorModel:
    """A small model with one input and one output vector of a known length (the plate
    colour, outline and province models): `run(x)` -> that vector."""

    def __init__(self, interpreter, what: str, length: int, unit: str = "classes"):
        self.interp = interpreter
        self.in_index = interpreter.get_input_details()[0]["index"]
        self.out_index = interpreter.get_output_details()[0]["index"]
        n = int(interpreter.get_output_details()[0]["shape"][-1])
        if n != length:
            raise ValueError("%s has %d %s, expected %d" % (what, n, unit, length))

    def run(self, x):
        self.interp.set_tensor(self.in_index, x)
        self.interp.invoke()
        return self.interp.get_tensor(self.out_index)[0]


def models_dir(configured: str = "") -> Path:
    """The configured models dir, else the checkout's models/, else the installed ones
    (tools/install.sh puts them in /usr/share/edge/models, beside the board profiles)."""
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[2] / "models"
    installed = Path("/usr/share/edge/models")
    return installed if not checkout.is_dir() and installed.is_dir() else checkout
