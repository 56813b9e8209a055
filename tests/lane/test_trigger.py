"""PlateTrigger: frames with a plate make one passage; a gap ends it; disagreement still records."""
import numpy as np

from edge.lane.service import PlateTrigger


def read(plate, conf=0.9, color="yellow"):
    return [{"plate": plate, "color": color, "confidence": conf}]


async def run_frames(frames, **kw):
    got = []

    async def on_passage(plate, color, conf, image, t_wall):
        got.append((plate, color, conf, int(image[0, 0, 0])))

    t = PlateTrigger(None, None, on_passage, **kw)
    for i, reads in enumerate(frames):
        await t.feed(reads, np.full((2, 2, 3), i, np.uint8))
    return got


async def test_one_passage_per_vehicle_with_the_best_frame():
    frames = [read("云A12345", 0.8), read("云A12345", 0.95), read("云A12845", 0.7), read("云A12345", 0.9)]
    frames += [[]] * 5 + [read("云B77777")] * 3 + [[]] * 5
    got = await run_frames(frames, gap_frames=5)
    assert [g[0] for g in got] == ["云A12345", "云B77777"]
    assert got[0][3] == 1                  # the photo is the most confident frame's


async def test_short_gaps_do_not_split_a_passage():
    frames = [read("云A12345")] * 2 + [[]] * 2 + [read("云A12345")] * 2 + [[]] * 5
    got = await run_frames(frames, gap_frames=5)
    assert len(got) == 1


async def test_disagreeing_frames_still_record_the_vehicle_with_low_confidence():
    frames = [read("云A12345", 0.9), read("云B12845", 0.6), read("云C72345", 0.6), read("云D12399", 0.6)]
    got = await run_frames(frames + [[]] * 5, gap_frames=5)
    assert len(got) == 1
    plate, _, conf, _ = got[0]
    assert plate == "云A12345" and conf == 0.45


async def test_no_plate_no_passage():
    assert await run_frames([[]] * 20) == []
