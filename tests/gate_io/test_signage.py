"""Signage end to end: the lane's lines and voice through a real pty into tools/rs485_decode.py
(a separate process, answering like the devices or silent), and a dead port that degrades."""
import asyncio
import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from edge.io import layout
from edge.io.board import load_board
from edge.io.protocols import syn6288
from edge.io.settings import DisplaySettings
from edge.io.signage import Signage
from tests.gate_io.test_gpio import wait_for

ROOT = Path(__file__).resolve().parents[2]
DECODER = ROOT / "tools" / "rs485_decode.py"


class Decoder:
    """tools/rs485_decode.py on the pty's far end; its JSON lines in a queue."""

    def __init__(self, path, *args):
        self.proc = subprocess.Popen([sys.executable, str(DECODER), str(path), "--json", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for ln in self.proc.stdout:
            self.lines.put(json.loads(ln))

    async def next(self, timeout=15.0):
        return await asyncio.to_thread(self.lines.get, True, timeout)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
async def sign(tmp_path):
    s = await Signage.open(DisplaySettings(), load_board("sim"), tmp_path)
    yield s
    await s.close()


def attached(sign):
    return lambda: sign.led.port.attached


async def test_display_and_voice_reach_the_decoder_and_get_answers(sign, tmp_path):
    dec = Decoder(tmp_path / "rs485", "--answer")
    try:
        await wait_for(attached(sign), 15)
        lines = ["管控:橙色预警", "苏A12345 国五", "柴油 允许通行", "2026-12-01 08:00:00"]
        await sign.show(lines, tone="allow")
        ev = await dec.next()
        assert ev["device"] == "led" and ev["lines"] == lines
        assert [a["color"] for a in ev["areas"]] == ["green"] * 4
        assert [a["scroll"] for a in ev["areas"]] == [False, False, False, True]   # 19 cells > 16
        await wait_for(lambda: sign.health()["led"]["answered"] == 1)
        assert sign.health()["led"]["ok"] is True

        await sign.say("苏A12345，允许通行")
        ev = await dec.next()
        assert ev == {**ev, "device": "voice", "command": "speak", "text": "苏A12345，允许通行", "encoding": "gb2312"}
        await wait_for(lambda: sign.health()["voice"]["answered"] == 1)
        assert sign.last() == {**sign.last(), "lines": lines, "voice": "苏A12345，允许通行"}
    finally:
        dec.stop()


async def test_long_speech_is_split_and_each_frame_waits_for_the_idle_answer(sign, tmp_path):
    dec = Decoder(tmp_path / "rs485", "--answer", "--speak-s", "0.02")
    try:
        await wait_for(attached(sign), 15)
        text = "车辆苏A12345，排放标准国四，重污染天气橙色预警期间国四及以下柴油货车禁止通行，请驶离。" * 3
        await sign.say(text)
        got = []
        while "".join(got) != text:
            ev = await dec.next()
            assert ev["command"] == "speak" and ev["ok"]
            got.append(ev["text"])
        assert len(got) >= 2 and all(len(t.encode("gb2312")) <= syn6288.MAX_TEXT for t in got)
        await wait_for(lambda: sign.health()["voice"]["answered"] == len(got))
        assert sign.health()["voice"]["no_answer"] == 0
    finally:
        dec.stop()


async def test_silent_devices_are_reported_and_never_block(tmp_path):
    settings = DisplaySettings(answer_timeout_s=0.2)
    sign = await Signage.open(settings, load_board("sim"), tmp_path)
    dec = Decoder(tmp_path / "rs485")                      # hears, never answers
    try:
        await wait_for(attached(sign), 15)
        await asyncio.wait_for(sign.show(["禁止通行"], tone="refuse"), 20)
        ev = await dec.next()
        assert ev["lines"][0] == "禁止通行" and ev["areas"][0]["color"] == "red"
        h = sign.health()["led"]
        assert h["ok"] is False and "no answer from the card at address 1" in h["error"]
        await asyncio.wait_for(sign.say("禁止通行"), 20)
        assert (await dec.next())["text"] == "禁止通行"
        await wait_for(lambda: sign.health()["voice"]["no_answer"] == 1)
        assert "no answer from the SYN6288" in sign.health()["voice"]["error"]
    finally:
        dec.stop()
        await sign.close()


async def test_a_dead_port_degrades_without_raising(tmp_path):
    settings = DisplaySettings(port="/dev/ttyNOSUCH3", voice="xfs5152")
    sign = await Signage.open(settings, load_board("sim"), tmp_path)
    await sign.show(["苏A12345", "允许通行"])
    await sign.say("允许通行")
    h = sign.health()
    assert h["led"]["ok"] is False
    assert "/dev/ttyNOSUCH3 ([display] port): not found" in h["led"]["error"]
    assert h["voice"]["port"]["device"] == "/dev/ttyNOSUCH3"   # one shared bus
    assert sign.last()["lines"] == ["苏A12345", "允许通行"]
    await sign.close()


async def test_voice_on_its_own_port_and_the_xfs5152(tmp_path):
    settings = DisplaySettings(led="none", voice="xfs5152", voice_port="pty")
    sign = await Signage.open(settings, load_board("sim"), tmp_path)
    dec = Decoder(tmp_path / "rs485", "--voice", "xfs5152", "--led", "none", "--answer")
    try:
        await wait_for(lambda: sign.voice.port.attached, 15)
        await sign.show(["ignored"])                        # no display configured: nothing sent
        await sign.say("请减速慢行")
        ev = await dec.next()
        assert (ev["command"], ev["text"]) == ("speak", "请减速慢行")
        await wait_for(lambda: sign.health()["voice"]["answered"] == 1)
        assert sign.health()["led"] == {"protocol": "none", "ok": True, "error": None}
    finally:
        dec.stop()
        await sign.close()


def test_layout_keeps_status_and_plate_still_and_scrolls_the_rest():
    rows = layout.fit(["禁止通行", "苏A12345", "国四柴油", "橙色预警", "国四及以下禁止通行"], 4, 16)
    assert rows == [("禁止通行", False), ("苏A12345", False), ("国四柴油", False),
                    ("橙色预警  国四及以下禁止通行", True)]
    assert layout.fit(["允许通行"], 2, 16) == [("允许通行", False), ("", False)]
    assert layout.cells("苏A12345") == 8
