"""The CLI verbs: edge record demo, edge outbox stats | list | retry | show (real processes)."""
import io
import json
import subprocess
import sys

import pytest
from PIL import Image

from edge.domain import validate
from edge.store.outbox import Outbox
from tests.store.outbox_helpers import CONFIG



@pytest.fixture
def conf(tmp_path):
    p = tmp_path / "edge.toml"
    p.write_text(CONFIG.format(state=tmp_path / "state"), encoding="utf-8")
    return p


def edge(conf, *args, check=True):
    r = subprocess.run([sys.executable, "-m", "edge", *args, "--config", str(conf)],
                       capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def test_record_demo_makes_valid_durable_records_with_stamped_photos(conf, tmp_path):
    out = edge(conf, "record", "demo", "--count", "3", "--seed", "7").stdout.split()
    assert len(out) == 3 and len(set(out)) == 3
    box = Outbox(tmp_path / "state", ["yunnan"])
    for rid in out:
        got = box.get(rid)
        assert validate.validate("access", got["record"]) == []
        assert got["deliveries"][0]["state"] == "pending"
        photos = box.load_media(rid)
        assert set(photos) == {"carHeadImg", "carImg"}
        assert Image.open(io.BytesIO(photos["carImg"])).format == "JPEG"
    assert box.seq() == 3
    box.close()
    # the sequence continues after a restart
    more = edge(conf, "record", "demo", "--count", "1").stdout.split()
    assert more[0].endswith("00004")


def test_outbox_list_stats_retry(conf, tmp_path):
    ids = edge(conf, "record", "demo", "--count", "2").stdout.split()
    assert edge(conf, "outbox", "list", "--pending").stdout.split() == ids
    rows = [json.loads(line) for line in edge(conf, "outbox", "list", "--pending", "--json").stdout.splitlines()]
    assert [r["record_id"] for r in rows] == ids and rows[0]["state"] == "pending"
    # one is refused by the platform
    box = Outbox(tmp_path / "state", ["yunnan"])
    claimed = {c.record_id: c for c in box.claim("yunnan", 10)}
    box.mark_rejected(claimed[ids[0]].id, "platform code 400: vin 格式错误")
    box.release([claimed[ids[1]].id])
    box.close()
    assert edge(conf, "outbox", "list", "--pending").stdout.split() == [ids[1]]
    assert edge(conf, "outbox", "list", "--rejected").stdout.split() == [ids[0]]
    st = json.loads(edge(conf, "outbox", "stats", "--json", "--days", "2").stdout)
    today = st["days"][0]
    assert (today["generated"], today["rejected"], today["pending"], today["uploaded"]) == (2, 1, 1, 0)
    assert len(st["days"]) == 2 and st["totals"]["yunnan"]["rate"] == 0.0
    table = edge(conf, "outbox", "stats").stdout
    assert "generated" in table and "yunnan" in table
    shown = json.loads(edge(conf, "outbox", "show", ids[0]).stdout)
    assert shown["deliveries"][0]["reason"] == "platform code 400: vin 格式错误"
    assert shown["media"] == {"carHeadImg": "ok", "carImg": "ok"}
    assert "due for delivery again" in edge(conf, "outbox", "retry", ids[0]).stdout
    assert edge(conf, "outbox", "list", "--pending").stdout.split() == ids
    assert "0 due again, 0 still rejected" in edge(conf, "outbox", "retry", "--all-rejected").stdout


def test_outbox_cli_errors_are_one_line(conf):
    r = edge(conf, "outbox", "retry", check=False)
    assert r.returncode == 2 and "record id or --all-rejected" in r.stderr and "Traceback" not in r.stderr
    r = edge(conf, "outbox", "list", check=False)    # a read never creates a state dir
    assert r.returncode == 2 and "does not exist" in r.stderr
    edge(conf, "record", "demo", "--count", "1")
    r = edge(conf, "outbox", "retry", "NOPE", check=False)
    assert r.returncode == 2 and "no record NOPE" in r.stderr
    r = edge(conf, "record", "demo", "--count", "0", check=False)
    assert r.returncode == 2 and "--count" in r.stderr


def test_outbox_check_reports_a_corrupt_photo(conf, tmp_path):
    ids = edge(conf, "record", "demo", "--count", "2").stdout.split()
    assert "0 bad photos" in edge(conf, "outbox", "check").stdout
    box = Outbox(tmp_path / "state", ["yunnan"])
    p = box.media.path(box.media_of(ids[1])["carImg"])
    box.close()
    p.write_bytes(b"\xff\xd8 flipped bits")
    r = edge(conf, "outbox", "check", check=False)
    assert r.returncode == 1
    assert ids[1] + " carImg:" in r.stdout and "checksum mismatch" in r.stdout and "1 bad photos" in r.stdout
    assert edge(conf, "outbox", "prune", "--json").returncode == 0


@pytest.mark.parametrize("change", [('[site]', '[board]\nprofile = "rpi4"\n[site]'),
                                    ('http://127.0.0.1:9/x', 'http://10.1.2.3:9/x')],
                         ids=["real board", "far platform"])
def test_record_demo_refuses_real_boards_and_far_platforms_unless_forced(conf, tmp_path, change):
    conf.write_text(conf.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    r = edge(conf, "record", "demo", check=False)
    assert r.returncode == 2 and "refusing" in r.stderr and "--force" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "state" / "outbox.db").exists()       # refused before anything was made
    [rid] = edge(conf, "record", "demo", "--force").stdout.split()
    with Outbox(tmp_path / "state", ["yunnan"]) as box:
        assert box.get(rid)["deliveries"][0]["state"] == "pending"
