import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # so tests can import tools.* (simulators, generators)
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

SHARED = ROOT.parent / "shared"
