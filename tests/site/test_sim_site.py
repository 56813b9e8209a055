"""`bash tools/dev sim --lanes N` as a user runs it (tools/sim_lane.py hands --lanes to
tools/sim_site.py): a real mosquitto, the platform simulator, two provisioned `edge run` lanes,
the scripted passages and `edge site`; `--kill-leader` once (the takeover itself is
tests/site/test_site.py's, with three lanes)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_simulated_site_runs_its_script_and_survives_the_leader_kill(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "sim_lane.py"), "--lanes", "2", "--lease", "5",
                        "--kill-leader", "--seconds", "1", "--state", str(tmp_path / "site"), "--fresh"],
                       capture_output=True, text=True, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    leader = re.search(r"sim: leader elected: (A01|B01)", out)
    assert leader, out[-3000:]
    assert re.search(r"云A6S101 enters at A01: ALLOW", out)              # in the ledger imported on A01
    assert re.search(r"云A9Z999 \(not in the ledger\) at A01: REFUSE", out)
    assert "云A6S102 at B01: left without having entered" in out          # the site paired the passages
    other = "B01" if leader.group(1) == "A01" else "A01"
    took = re.search(r"leader %s SIGKILLed; %s took over after ([0-9.]+) s" % (leader.group(1), other), out)
    assert took, out[-3000:]
    print("simulated site: takeover after %s s (lease 5 s)" % took.group(1))
