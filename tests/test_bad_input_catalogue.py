"""The bad-input catalogue: what an installer, a field technician or a hostile file hands the
`edge` command, over every verb. Each entry must end in ONE error line (`edge VERB: …`, a
ValidationError's indented `field: rule` lines under it allowed), a non-zero exit, and no
Python traceback — and must not hang or eat the machine (each run is bounded in time).

Real processes (`python -m edge …`), run four at a time."""
import concurrent.futures
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from edge.config import example

EDGE = [sys.executable, "-m", "edge"]
ROOT = Path(__file__).resolve().parents[1]


def _png_header_only(w, h) -> bytes:
    """A small PNG whose header claims w x h pixels (the 121 KB 40000x25000 of the issue)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b"")


def config_text(state, **replace):
    text = example()
    text = text.replace('state_dir = "/var/lib/edge"', 'state_dir = "%s"' % state)
    text = text.replace('base_url = "http://127.0.0.1:8710/access/api/dataReceive"',
                        'base_url = "http://127.0.0.1:9/access/api/dataReceive"')
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    state = d / "state"
    w = {"d": d}

    def put(name, data):
        p = d / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return str(p)

    w["good"] = put("good.toml", config_text(state))
    w["dir"] = str(d / "folder")
    os.mkdir(w["dir"])
    w["fifo"] = str(d / "fifo")
    os.mkfifo(w["fifo"])
    w["empty"] = put("empty.txt", b"")
    w["garbage"] = put("garbage.bin", bytes(range(256)) * 40)
    w["garbage_jpg"] = put("garbage.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    w["garbage_mp4"] = put("garbage.mp4", b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    w["huge_png"] = put("huge.png", _png_header_only(40000, 25000))
    w["deep"] = put("deep.json", "[" * 200000 + "]" * 200000)
    w["deep_obj"] = put("deep_obj.json", '{"a":' * 5000 + "1" + "}" * 5000)
    w["ints"] = put("ints.json", "[1, 2, 3]")
    w["string_json"] = put("string.json", '"just a string"')
    w["badjson"] = put("bad.json", '{"licensePlate": ')
    w["nul_csv"] = put("nul.csv", "licensePlate,vin\n云A1\x00,X\n")
    w["header_only_csv"] = put("header.csv", "licensePlate,vin\n")
    w["latin1"] = put("latin1.json", b"\xff\xfe\xfa{}")
    w["bad_hj212"] = put("bad.hj212", b"##0005hello\r\n")
    w["hashes"] = put("hashes.hj212", b"#" * 300000)
    bad = {
        "toml_syntax": "[site\nenterprise_id = 1\n",
        "unknown_key": config_text(state) + "\n[nonsense]\nx = 1\n",
        "typo_key": config_text(state, **{"[site]": "[site]\nenterprize_id = \"X\""}),
        "bad_values": config_text(state, **{'gate_id = "A01"': 'gate_id = "A1"', 'entrance_id = "A"': 'entrance_id = "a"'}),
        "bad_type": config_text(state, **{"concurrency = 4": 'concurrency = "four"'}),
        "state_is_file": config_text(d / "empty.txt"),
        "state_in_proc": config_text("/proc/edge-state"),
        "bad_area": config_text(state, **{'areaCode = "530100"': 'areaCode = "999999"'}),
        "bad_camera": config_text(state, **{'cameraType = "1"': 'cameraType = "7"'}),
        "bad_board": config_text(state, **{'profile = "sim"': 'profile = "nosuchboard"'}),
        "board_is_dir": config_text(state, **{'profile = "sim"': 'profile = "%s/"' % w["dir"]}),
        "missing_ca": config_text(state, **{'base_url = "http://127.0.0.1:9/access/api/dataReceive"':
                                            'base_url = "https://127.0.0.1:9/access/api/dataReceive"\nca_file = "/nonexistent/ca.pem"'}),
        "bad_ca": config_text(state, **{'base_url = "http://127.0.0.1:9/access/api/dataReceive"':
                                        'base_url = "https://127.0.0.1:9/access/api/dataReceive"\nca_file = "%s"' % w["garbage"]}),
        "rpi_board": config_text(state, **{'profile = "sim"': 'profile = "rpi4"'}),
        "far_platform": config_text(state, **{'base_url = "http://127.0.0.1:9/access/api/dataReceive"':
                                              'base_url = "http://10.255.255.1:9/access/api/dataReceive"'}),
        "gbk_config": None,
    }
    for k, v in bad.items():
        w[k] = put(k + ".toml", v if v is not None else config_text(state).encode("gbk", "replace"))
    # a board with records so the outbox verbs have something to refuse against
    r = subprocess.run(EDGE + ["--config", w["good"], "record", "demo", "--count", "1"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    w["rid"] = r.stdout.split()[0]
    return w


# (argv with {placeholders}, stdin bytes or a file path to feed, what the line must mention)
CATALOGUE = [
    # --config and global options
    ("config check --config {dir}", None, "folder"),
    ("config check --config /nonexistent/edge.toml", None, "not found"),
    ("config check --config {fifo}", None, "not a config file"),
    ("config check --config /dev/zero", None, "not a config file"),
    ("config check --config {empty}", None, None),
    ("config check --config {garbage}", None, "UTF-8"),
    ("config check --config {toml_syntax}", None, "TOML"),
    ("config check --config {unknown_key}", None, "unknown key"),
    ("config check --config {typo_key}", None, "enterprize_id"),
    ("config check --config {bad_values}", None, "gate_id"),
    ("config check --config {bad_type}", None, "concurrency"),
    ("config check --config {state_is_file}", None, "is a file"),
    ("config check --config {state_in_proc}", None, "/proc"),
    ("config check --config {bad_area}", None, "areaCode"),
    ("config check --config {bad_camera}", None, "cameraType"),
    ("config check --config {bad_board}", None, "nosuchboard"),
    ("config check --config {board_is_dir}", None, "board profile"),
    ("config check --config {gbk_config}", None, "UTF-8"),
    ("config nonsense --config {good}", None, "invalid choice"),
    ("config --config {good}", None, "required"),
    ("--log-level debg config check --config {good}", None, "--log-level"),
    ("--log-level 7 codes", None, "--log-level"),
    ("codes --log-level verbose", None, "--log-level"),
    ("nonsense", None, "invalid choice"),
    ("--config", None, "needs a value"),
    ("outbox stats --config", None, "needs a value"),
    # board, codes, example
    ("board show --profile nosuch", None, "nosuch"),
    ("board show --profile {dir}", None, "board profile"),
    ("board show --profile /dev/null", None, None),
    ("board show --profile {garbage}", None, None),
    ("board show --config {bad_board}", None, "nosuchboard"),
    ("board nonsense", None, "invalid choice"),
    ("codes nosuch.table", None, "no code table"),
    ("codes yunnan.colour", None, "no code table"),
    ("example nosuch", None, "nosuch"),
    ("example", None, "required"),
    ("example vehicles --fields --nonsense", None, "unrecognized"),
    # validate
    ("validate access /nonexistent.json", None, "no such file"),
    ("validate access {dir}", None, "folder"),
    ("validate access {fifo}", None, "FIFO"),
    ("validate access /dev/zero", None, "device"),
    ("validate access {empty}", None, "JSON"),
    ("validate access {garbage}", None, None),
    ("validate access {deep}", None, "deep"),
    ("validate access {deep_obj}", None, "deep"),
    ("validate access {badjson}", None, "JSON"),
    ("validate access {latin1}", None, "UTF-8"),
    ("validate nosuch {ints}", None, "nosuch"),
    ("validate access -", b"\x00\x01\x02", None),
    ("validate access -", b"[" * 100000, None),
    # keys, register, uplink, sync, push (no keys, no platform)
    ("keys show --config {good}", None, None),
    ("keys generate --bits 512 --config {good}", None, "invalid choice"),
    ("register --config {good}", None, "key pair"),
    ("keys export --to {d}/site.keys --passphrase-file {good} --config {good}", None, "key pair"),
    ("keys import {garbage} --passphrase-file {good} --config {good}", None, "not an edge key bundle"),
    ("keys import {dir} --passphrase-file {good} --config {good}", None, "folder"),
    ("keys import {fifo} --passphrase-file {good} --config {good}", None, "FIFO"),
    ("keys import {good} --passphrase-file {fifo} --config {good}", None, "FIFO"),
    ("keys import {good} --passphrase-file {empty} --config {good}", None, "empty"),
    ("keys import {good} --config {good}", None, "passphrase"),
    # site (no [mqtt] url in the example config)
    ("site --config {good}", None, "single-lane"),
    ("site --json --config {good}", None, "single-lane"),
    ("site command A01 lift --config {good}", None, "command key"),
    ("uplink check --config {good}", None, "not registered"),
    ("uplink check --config {missing_ca}", None, None),
    ("uplink check --config {bad_ca}", None, None),
    ("uplink seal --config {good}", b"not json", "JSON"),
    ("uplink seal --config {good}", b'{"a": 1}', None),
    ("uplink open --config {good}", b"not json", "JSON"),
    ("uplink open --config {good}", b"[" * 100000, None),
    ("uplink open --config {good}", b'{"signature": "x", "encryptedAesKey": "y", "encryptedContent": "z"}', None),
    ("uplink open --client-private-key {garbage}", b"{}", None),
    ("uplink open --client-private-key {fifo}", b"{}", None),
    ("uplink open --client-private-key /nonexistent", b"{}", "cannot read"),
    ("uplink seal --platform-public-key {dir} --client-private-key {dir}", b"{}", None),
    ("sync --config {good}", None, "not registered"),
    ("push enterprise --config {good}", None, "not registered"),
    ("push cameras --config {bad_camera}", None, "cameraType"),
    ("push nonsense --config {good}", None, "nonsense"),
    ("push exceed-verification --config {good}", None, "FILE"),
    ("push exceed-verification {garbage} --config {good}", None, None),
    ("push exceed-verification {deep} --config {good}", None, None),
    ("push exceed-verification {fifo} --config {good}", None, None),
    ("push vehicle {garbage} --config {good}", None, "ledger import vehicles"),
    ("push enterprise {garbage} --config {good}", None, "takes no FILE"),
    ("push enterprises --config {bad_area}", None, "areaCode"),
    # ledger
    ("ledger import vehicles /nonexistent.csv --config {good}", None, "no such file"),
    ("ledger import vehicles {dir} --config {good}", None, "folder"),
    ("ledger import vehicles {fifo} --config {good}", None, "FIFO"),
    ("ledger import vehicles /dev/zero --config {good}", None, "device"),
    ("ledger import vehicles {empty} --config {good}", None, "no rows"),
    ("ledger import vehicles {garbage} --config {good}", None, None),
    ("ledger import vehicles {deep} --config {good}", None, "deep"),
    ("ledger import vehicles {ints} --config {good}", None, "object"),
    ("ledger import vehicles {string_json} --config {good}", None, "object"),
    ("ledger import vehicles {badjson} --config {good}", None, "JSON"),
    ("ledger import vehicles {nul_csv} --config {good}", None, None),
    ("ledger import vehicles {header_only_csv} --config {good}", None, "no rows"),
    ("ledger import lorries {ints} --config {good}", None, "lorries"),
    ("ledger import machinery {ints} --config {good}", None, None),
    ("ledger list vehicles --config {state_is_file}", None, "is a file"),
    # outbox
    ("outbox stats --days 0 --config {good}", None, "--days"),
    ("outbox stats --days -3 --config {good}", None, "--days"),
    ("outbox stats --days abc --config {good}", None, "--days"),
    ("outbox stats --days 99999999 --config {good}", None, "--days"),
    ("outbox show NOPE --config {good}", None, "no record"),
    ("outbox retry NOPE --config {good}", None, "no record"),
    ("outbox retry --config {good}", None, "record id"),
    ("outbox retry {rid} --all-rejected --config {good}", None, "not both"),
    ("outbox fix NOPE cargoType=x --config {good}", None, "no record"),
    ("outbox fix {rid} novalue --config {good}", None, "FIELD=VALUE"),
    ("outbox fix {rid} nosuch=1 --config {good}", None, "not a field"),
    ("outbox fix {rid} recordId=X --config {good}", None, "recordId"),
    ("outbox fix {rid} smokeLevel=high --config {good}", None, "whole number"),
    ("outbox fix {rid} --config {good}", None, "FIELD=VALUE"),
    ("outbox list --all --destination yunnan --config {good}", None, "--destination"),
    ("outbox list --config {state_is_file}", None, "is a file"),
    ("outbox stats --config {state_in_proc}", None, "/proc"),
    ("outbox nonsense --config {good}", None, "invalid choice"),
    # record demo
    ("record demo --count 0 --config {good}", None, "--count"),
    ("record demo --count -5 --config {good}", None, "--count"),
    ("record demo --count x --config {good}", None, "--count"),
    ("record demo --size 0x0 --config {good}", None, "--size"),
    ("record demo --size 99999x2 --config {good}", None, "--size"),
    ("record demo --size abc --config {good}", None, "--size"),
    ("record demo --interval -1 --config {good}", None, "--interval"),
    ("record demo --interval nan --config {good}", None, "--interval"),
    ("record demo --config {rpi_board}", None, "refusing"),
    ("record demo --config {far_platform}", None, "refusing"),
    ("record demo --config {state_in_proc}", None, "/proc"),
    # hj212
    ("hj212 encode --cn 60001", b"not json", "JSON"),
    ("hj212 encode --cn 60001", b"[" * 100000, "deep"),
    ("hj212 encode --cn 60001", b"[1, 2]", "object"),
    ("hj212 encode --cn 60001", b'{"CN": "60003", "MN": "X"}', "CN"),
    ("hj212 encode --cn 60001", b'{"MN": "X", "F_CPHM": {"a": 1}}', "text"),
    ("hj212 encode --cn 60001", b'{"MN": "X", "F_CPHM": "A;B"}', None),
    ("hj212 encode --cn 60003 --max-segment 1", b'{"MN": "X"}', "--max-segment"),
    ("hj212 encode --cn 99999", b"{}", "invalid choice"),
    ("hj212 decode", b"", "no HJ 212 packet"),
    ("hj212 decode", b"garbage with no packets", "no HJ 212 packet"),
    ("hj212 decode", "{bad_hj212}", None),
    ("hj212 decode", "{hashes}", None),
    ("hj212 decode", b"##0101QN=1;ST=32;CN=1062\r\n", None),
    # lpr
    ("lpr /nonexistent.jpg", None, "no such file"),
    ("lpr {dir}", None, "folder"),
    ("lpr {fifo}", None, "FIFO"),
    ("lpr /dev/zero", None, "device"),
    ("lpr {empty}", None, "empty"),
    ("lpr {garbage}", None, "not an image"),
    ("lpr {garbage_jpg}", None, None),
    ("lpr {huge_png}", None, "megapixels"),
    ("lpr --crop {huge_png}", None, "megapixels"),
    ("lpr --threads x {garbage}", None, "--threads"),
    ("lpr --models-dir {dir} {garbage}", None, None),
    ("lpr", None, "required"),
    # smoke
    ("smoke /nonexistent.png", None, None),
    ("smoke {dir}", None, None),
    ("smoke {fifo}", None, None),
    ("smoke /dev/zero", None, None),
    ("smoke {garbage_mp4}", None, None),
    ("smoke {huge_png}", None, "megapixels"),
    ("smoke --roi 1,2 {garbage}", None, "--roi"),
    ("smoke --vehicle 9-3 {garbage_mp4}", None, "--vehicle"),
    ("smoke --background {huge_png} {garbage}", None, None),
    ("smoke --background /nonexistent.png {garbage}", None, None),
    ("smoke --models-dir {dir} {garbage_jpg}", None, None),
    ("smoke --min-frames 0 {garbage_jpg}", None, "--min-frames"),
    ("smoke --min-frames -4 {garbage_jpg}", None, "--min-frames"),
    ("smoke --min-frames many {garbage_jpg}", None, "--min-frames"),
    ("smoke --threshold 9 {garbage_jpg}", None, "--threshold"),
    ("smoke --min-confidence 7 {garbage_jpg}", None, "--min-confidence"),
    ("smoke --threads 0 {garbage_jpg}", None, "--threads"),
    ("lpr --threads -2 {garbage}", None, "--threads"),
    ("lpr --min-confidence nan {garbage}", None, "--min-confidence"),
    # the lane's control verbs with no lane running, and run itself
    ("status --config {good}", None, "not running"),
    ("lift --config {good}", None, None),
    ("plate 云A12345 --config {good}", None, None),
    ("events --since garbage --config {good}", None, None),
    ("display hello --config {good}", None, None),
    ("say hello --config {good}", None, None),
    ("relay --config {good}", None, None),
    ("camera --config {good}", None, None),
    ("sim loop --config {good}", None, None),
    ("run --seconds -1 --config {good}", None, "--seconds"),
    ("run --seconds x --config {good}", None, "--seconds"),
    ("run --config {state_in_proc}", None, "/proc"),
    ("run --config {state_is_file}", None, "is a file"),
    ("run --config {bad_board}", None, "nosuchboard"),
    ("run --config {dir}", None, "folder"),
    ("logs --lines -1 --config {good}", None, None),
    # the status page's verbs
    ("web passwd --config {good}", b"short\n", "at least 8"),
    ("web passwd --config {good}", b"", "no password on stdin"),
    ("web passwd --user a/b --config {good}", b"long-enough-pw\n", "user:"),
    ("web passwd --delete nobody --config {good}", None, "no account"),
    ("web serve --parent x --config {good}", None, "--parent"),
    ("web nope --config {good}", None, None),
]


def run_one(entry, w):
    argv, stdin, needle = entry
    args = [a.format(**w) for a in argv.split()]
    data = None
    if isinstance(stdin, bytes):
        data = stdin
    elif isinstance(stdin, str):
        data = Path(stdin.format(**w)).read_bytes()
    env = dict(os.environ, EDGE_CONFIG="/nonexistent/edge.toml", PYTHONDONTWRITEBYTECODE="1")
    try:
        r = subprocess.run(EDGE + args, input=data if data is not None else b"", capture_output=True,
                           timeout=120, env=env, cwd=str(w["d"]))
    except subprocess.TimeoutExpired:
        return "%s: hung (no answer in 120 s)" % argv
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    problems = []
    if r.returncode == 0:
        problems.append("exit 0")
    if "Traceback" in out + err:
        problems.append("traceback:\n" + err[-1500:])
    heads = [line for line in err.splitlines() if line.strip() and not line.startswith("  ")
             and not line.startswith(("WARNING ", "INFO ", "DEBUG "))]
    errors = [line for line in heads if line.startswith("edge")]
    if len(errors) != 1 or len(heads) != 1:
        problems.append("%d error lines, stderr:\n%s" % (len(errors), err[-1500:]))
    if needle and errors and needle.lower() not in (errors[0] + err).lower():
        problems.append("%r not in %r" % (needle, errors[0]))
    return "%s: %s" % (argv, "; ".join(problems)) if problems else None


def test_the_catalogue_is_big_and_covers_every_verb():
    from edge.cli import VERBS
    assert len(CATALOGUE) >= 150
    used = {next((a for a in argv.split() if a in VERBS), None) for argv, _, _ in CATALOGUE}
    missing = set(VERBS) - used - {"doctor", "provision"}   # both report every check, by design not one line
    assert not missing, missing


def test_every_bad_input_is_one_line_nonzero_and_no_traceback(world):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda e: run_one(e, world), CATALOGUE))
    failures = [r for r in results if r]
    assert not failures, "%d of %d entries failed:\n\n%s" % (len(failures), len(CATALOGUE), "\n\n".join(failures))


def test_doctor_and_provision_never_print_a_traceback(world):
    for argv in (["doctor", "--config", world["bad_area"]], ["doctor", "--config", world["dir"]]):
        r = subprocess.run(EDGE + argv, capture_output=True, text=True, timeout=180, input="")
        assert "Traceback" not in r.stdout + r.stderr, r.stderr[-2000:]
