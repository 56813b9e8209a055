"""The README's main job: the lane on the simulated board, end to end, as a user runs it."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lane.rtsp import free_port, has_gstreamer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.skipif(not has_gstreamer(), reason="GStreamer RTSP server (python3-gi) not installed")
def test_sim_lane_reads_plates_records_and_uploads(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "sim_lane.py"), "--seconds", "25",
                        "--state", str(tmp_path / "sim"), "--rtsp-port", str(free_port()),
                        "--platform-port", str(free_port()), "--web-port", "0"],
                       capture_output=True, text=True, timeout=240)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr[-3000:]
    vehicles = re.search(r"vehicles in the clip: (.*)", out).group(1)
    plates = re.findall(r"(\S+) \((?:yellow|blue|green|yellow_green)\)", vehicles)
    assert len(plates) == 5
    recorded = int(re.search(r"lane recorded (\d+) records", out).group(1))
    received = int(re.search(r"platform received (\d+) access records \((\d+) duplicates\)", out).group(1))
    dups = int(re.search(r"\((\d+) duplicates\)", out).group(1))
    assert recorded >= 4          # 25 s of a 17.5 s loop of 5 trucks
    assert received >= 2          # read right → in the ledger → valid → delivered
    assert dups == 0
    assert received <= recorded
    # what the lane read is in the clip (a misread is kept locally as rejected, not invented)
    read = re.findall(r"sim:   \S+ \S+ (\S+) conf=", out)
    assert sum(p in plates for p in read) >= 2
    assert "pending {'yunnan': 0}" in out  # everything valid was delivered before stop
