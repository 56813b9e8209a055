"""The lane service (`edge run`) against a real HJ 212 receiver on 127.0.0.1: demo passages
go through the recorder/outbox/uploader as 60001; the HJ 212 duties send 60002 and 60003."""
import asyncio
import json

from edge.config import example, parse
from edge.io.board import load_board
from edge.lane.service import LaneService
from tools.hj212_sim import Hj212Sim


def lane_config(tmp_path, port):
    text = example()
    text = text.replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % tmp_path)
    text = text.replace('destinations = ["yunnan"]', 'destinations = ["hj212"]')
    text = text.replace("port = 8712", "port = %d" % port)
    text = text.replace("demo_traffic_interval_s = 0.0", "demo_traffic_interval_s = 0.3")
    text = text.replace("heartbeat_interval_s = 900.0", "heartbeat_interval_s = 10.0")
    text = text.replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = ""')  # no camera job here
    return parse(text)


async def test_lane_service_delivers_passages_and_hj212_status(tmp_path):
    sim = Hj212Sim()
    await sim.start()
    try:
        config = lane_config(tmp_path, sim.port)
        service = LaneService(config, load_board("sim"))
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))

        def cns():
            return [m.get("CN") for m in sim.unique().values()]

        for _ in range(300):  # up to 30 s on a loaded machine
            await asyncio.sleep(0.1)
            if cns().count("60001") >= 3 and "60002" in cns() and "60003" in cns():
                break
        stop.set()
        await asyncio.wait_for(task, 30)
    finally:
        await sim.stop()

    got = cns()
    assert got.count("60001") >= 3, got
    assert got.count("60002") == 1          # the one camera of the example config
    assert "60003" in got
    status = {m.get("CN"): m for m in sim.unique().values()}["60003"]
    assert status.get("F_SCQK") == "正常"
    # the status file the status page will read
    st = json.loads((tmp_path / "status.json").read_text(encoding="utf-8"))
    assert st["gate"] == "A01" and st["records"] >= 3
    assert set(st["jobs"]) == {"uploader", "housekeeping", "status", "watchdog", "hj212-status", "demo-traffic",
                               "gate"}
    assert st["platform"]["hj212_status"] == "正常"
    assert st["restarts"] == {}
    # every passage the service recorded reached the receiver exactly once
    plates = [m.get("F_CPHM") for m in sim.unique().values() if m.get("CN") == "60001"]
    assert len(plates) == len(set(plates))
