"""Storage faults and the lane lock, with real `edge` processes on real files.

  * one lane per state dir: a second `edge run` refuses with one line;
  * a missing or empty outbox.db beside stored photos: refused, alarmed, never swept;
  * a damaged outbox.db: `edge outbox check` says DAMAGED in one line (exit 1), the lane alarms;
  * a read-only state dir (a bind mount remounted ro in a user namespace, as ext4 does to a
    failing eMMC): the read verbs work, the writers name the problem;
  * a full disk (a tiny tmpfs): ALARM, the lane stops cleanly, no torn temp files, the outbox
    intact.
The namespace tests need unprivileged user namespaces (`unshare -rm`); they are skipped with
the reason where the kernel forbids them.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edge.config import example
from edge.store.outbox import Outbox

EDGE = [sys.executable, "-m", "edge"]


def write_config(tmp_path, state, demo_s="0.0", extra=""):
    text = example()
    text = text.replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % state)
    text = text.replace('base_url = "http://127.0.0.1:8710/access/api/dataReceive"',
                        'base_url = "http://127.0.0.1:9/access/api/dataReceive"')
    text = text.replace('rtsp_url = "rtsp://127.0.0.1:8554/lane"', 'rtsp_url = ""')
    text = text.replace("demo_traffic_interval_s = 0.0", "demo_traffic_interval_s = %s" % demo_s)
    text = text.replace("site_duties = true", "site_duties = false")
    p = tmp_path / "edge.toml"
    p.write_text(text + extra, encoding="utf-8")
    return p


def edge(conf, *args, timeout=120):
    return subprocess.run(EDGE + list(args) + ["--config", str(conf)], capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(r, *words):
    assert r.returncode != 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    errs = [line for line in r.stderr.splitlines() if line.startswith("edge ")]
    assert len(errs) == 1, r.stderr
    for w in words:
        assert w in errs[0], errs[0]
    return errs[0]


def wait_for(pred, timeout=60.0):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError("condition not met in %s s" % timeout)
        time.sleep(0.1)


def test_a_second_lane_on_the_same_state_dir_refuses(tmp_path):
    from edge.lane import lock
    state = tmp_path / "state"
    conf = write_config(tmp_path, state)
    first = subprocess.Popen(EDGE + ["--config", str(conf), "run"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: lock.holder(state) is not None or first.poll() is not None)
        assert first.poll() is None, first.stderr.read()
        r = edge(conf, "run", "--seconds", "20")
        line = one_line_error(r, "another lane is already running", str(state), "pid %d" % first.pid)
        assert r.returncode == 2 and "one lane per state dir" in line
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(60)
    assert first.returncode == 0, first.stderr.read()
    assert lock.holder(state) is None          # released (the kernel drops it however we exit)


def test_a_missing_or_empty_outbox_beside_photos_is_refused_and_never_swept(tmp_path):
    state = tmp_path / "state"
    conf = write_config(tmp_path, state)
    ids = edge(conf, "record", "demo", "--count", "2").stdout.split()
    assert len(ids) == 2
    photos = sorted((state / "media").rglob("*.jpg"))
    assert len(photos) == 4
    for suffix in ("", "-wal", "-shm"):
        p = state / ("outbox.db" + suffix)
        if p.exists():
            p.unlink()
    r = edge(conf, "run", "--seconds", "5")
    one_line_error(r, "outbox.db is missing", "4 stored photos", "refusing")
    assert "ALARM storage" in r.stderr
    assert not (state / "outbox.db").exists()        # not recreated empty
    (state / "outbox.db").write_bytes(b"")
    one_line_error(edge(conf, "outbox", "list"), "outbox.db is empty")
    one_line_error(edge(conf, "record", "demo"), "outbox.db is empty")
    assert sorted((state / "media").rglob("*.jpg")) == photos   # every photo still there


def test_housekeeping_does_not_sweep_photos_beside_a_replaced_empty_outbox(tmp_path):
    from edge.config import parse
    from edge.store.retention import housekeeping
    state = tmp_path / "state"
    conf = write_config(tmp_path, state)
    edge(conf, "record", "demo", "--count", "2")
    old = time.time() - 7200
    for p in (state / "media").rglob("*.jpg"):
        os.utime(p, (old, old))
    # someone "fixed" a broken outbox by putting an empty one in its place
    for suffix in ("", "-wal", "-shm"):
        (state / ("outbox.db" + suffix)).unlink(missing_ok=True)
    fresh = Outbox(tmp_path / "elsewhere", ["yunnan"])
    fresh.close()
    shutil.copy(tmp_path / "elsewhere" / "outbox.db", state / "outbox.db")
    alarms = []
    config = parse(conf.read_text(encoding="utf-8"))
    with Outbox.from_config(config) as box:
        report = housekeeping(box, config, alarm=lambda kind, msg: alarms.append((kind, msg)))
    assert report["orphans"] == 0
    assert any(k == "storage" and "not sweeping" in m for k, m in alarms)
    assert len(list((state / "media").rglob("*.jpg"))) == 4


def _damage(path: Path, header: bool):
    data = bytearray(path.read_bytes())
    if header:
        data[:100] = b"\x00garbage" * 12 + b"\x00" * 4
    else:   # overwrite whole b-tree pages after the schema page
        page = int.from_bytes(data[16:18], "big") or 65536
        for off in range(2 * page, len(data), 3 * page):
            data[off:off + page] = bytes((i * 37 + 11) % 251 for i in range(page))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("header", [True, False], ids=["header", "pages"])
def test_a_damaged_outbox_is_one_damaged_line_and_an_alarm(tmp_path, header):
    from edge.store.retention import check_integrity
    state = tmp_path / "state"
    conf = write_config(tmp_path, state)
    edge(conf, "record", "demo", "--count", "30", "--size", "160x90")
    db = state / "outbox.db"
    with Outbox(state, ["yunnan"]) as box:       # checkpoint: every record in the main file
        box._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(db, header)
    r = edge(conf, "outbox", "check")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and "DAMAGED" in lines[0] and str(db) in lines[0], r.stdout
    if header:
        r = edge(conf, "run", "--seconds", "5")
        one_line_error(r, str(db))
        assert "ALARM storage" in r.stderr
    else:
        # the schema page is fine, so the lane starts: and raises the alarm at once
        r = edge(conf, "run", "--seconds", "15")
        assert "Traceback" not in r.stderr, r.stderr
        assert any(line.startswith("ERROR") and "ALARM storage" in line and "DAMAGED" in line and str(db) in line
                   for line in r.stderr.splitlines()), r.stderr[-3000:]
        alarms = []
        with Outbox(state, ["yunnan"]) as box:
            msg = check_integrity(box, lambda kind, m: alarms.append((kind, m)), now=time.time() + 1e9)
        assert msg and alarms and alarms[0][0] == "storage" and "DAMAGED" in alarms[0][1]


def _unshare_ok():
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return r.returncode == 0


needs_userns = pytest.mark.skipif(not _unshare_ok(), reason="unprivileged user namespaces not available")


def in_namespace(script: str, timeout=180):
    """Run a shell script as root of a new user + mount namespace (mounts vanish with it)."""
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=timeout)


@needs_userns
def test_a_read_only_state_dir_keeps_reads_working_and_writers_name_it(tmp_path):
    state = tmp_path / "state"
    conf = write_config(tmp_path, state)
    rid = edge(conf, "record", "demo", "--count", "1").stdout.split()[0]
    import io
    import json

    from PIL import Image

    from edge.domain.examples import example
    from edge.store.ledger import to_data_url
    buf = io.BytesIO()
    Image.new("RGB", (32, 24)).save(buf, "JPEG")
    v = dict(example("vehicle"), carImg1=to_data_url(buf.getvalue()), carImg2=to_data_url(buf.getvalue()))
    (tmp_path / "v.json").write_text(json.dumps([v], ensure_ascii=False), encoding="utf-8")
    e = " ".join(EDGE) + " --config %s" % conf
    script = f"""
mount --bind {state} {state} && mount -o remount,bind,ro {state} || exit 99
for v in "outbox list" "outbox stats" "outbox show {rid}" "outbox check" "outbox retry {rid}" \
         "record demo" "ledger import vehicles {tmp_path}/v.json" "run --seconds 5"; do
  echo "== $v"
  {e} $v 2>&1
  echo "rc=$?"
done
"""
    r = in_namespace(script)
    assert r.returncode != 99, r.stdout + r.stderr
    out = {}
    for block in r.stdout.split("== ")[1:]:
        head, _, body = block.partition("\n")
        out[head] = body
    assert "Traceback" not in r.stdout
    assert out["outbox list"].split()[0] == rid and "rc=0" in out["outbox list"]
    assert "rc=0" in out["outbox stats"] and "generated" in out["outbox stats"]
    assert rid in out["outbox show %s" % rid] and "rc=0" in out["outbox show %s" % rid]
    assert "database ok" in out["outbox check"]
    for writer in ("outbox retry %s" % rid, "record demo", "ledger import vehicles %s/v.json" % tmp_path,
                   "run --seconds 5"):
        body = out[writer]
        assert "read-only" in body and "rc=0" not in body, (writer, body)
        assert len([line for line in body.splitlines() if line.startswith("edge ")]) == 1, (writer, body)


@needs_userns
def test_a_full_disk_is_an_alarm_and_a_clean_stop(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    conf = write_config(tmp_path, state, demo_s="0.05")
    e = " ".join(EDGE) + " --config %s" % conf
    script = f"""
mount -t tmpfs -o size=3m tmpfs {state} || exit 99
{e} --log-level WARNING run --seconds 170 > {tmp_path}/run.out 2>&1
echo "rc=$?"
echo "tmp=$(find {state} -name '*.tmp' | wc -l)"
df -k {state} | tail -1
{e} outbox check 2>&1 | tail -1
"""
    r = in_namespace(script, timeout=240)
    assert "rc=99" not in r.stdout and r.returncode != 99, r.stdout + r.stderr
    run_out = (tmp_path / "run.out").read_text(encoding="utf-8")
    assert "rc=2" in r.stdout, r.stdout + run_out[-3000:]
    assert "ALARM disk-full" in run_out, run_out[-3000:]
    assert "Traceback" not in run_out
    last = [line for line in run_out.splitlines() if line.startswith("edge run:")]
    assert len(last) == 1 and "no space left" in last[0].lower(), run_out[-2000:]
    assert "tmp=0" in r.stdout, r.stdout                  # no torn temp files
    assert "database ok" in r.stdout, r.stdout            # the outbox survived intact
