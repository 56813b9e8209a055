"""edge provision [--answers FILE] [--no-doctor]: from a blank board to a registered lane.

Writes the config (--config, default /etc/edge/edge.toml), picks the board profile (from the
device-tree model where it can, confirmed by the installer), generates the enterprise keys
(or imports the site bundle), registers with the platform, pushes the enterprise and its
cameras, sets the status page's password, (re)starts the service where systemd runs, and
ends with `edge doctor` (its exit status is provision's).

The answers are a TOML file with the config's own keys ([site], [paths], [uplink.yunnan],
[enterprise], [[cameras]], ...) plus a [provision] table:

    [provision]
    board = "auto"            # or a profile name (edge board list); auto: the device tree's
    keys = "generate"         # or "bundle" (with site_bundle = "FILE") or "keep"
    register = true
    push = ["enterprise", "cameras"]
    status_password = "..."   # or status_password_file = "FILE" (first line)
    start = true              # enable and (re)start edge.service when systemd runs

Without --answers the wizard asks for the same keys (defaults: what the config already says).
Re-running changes only what the answers change: the config is edited in place (comments and
keys the answers do not name are kept) and rewritten only when a value differs; keys are not
regenerated, registration is not repeated, a push is sent again only when its payload changed
(hashes in <state_dir>/provision.json), the password only when it differs.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tomllib
from argparse import Namespace
from pathlib import Path

from edge.errors import EdgeError, ValidationError
from edge.store.atomic import write_atomic

PROVISION_KEYS = {"board", "keys", "site_bundle", "register", "push", "status_password", "status_password_file",
                  "start"}
PUSHES = ("enterprise", "cameras")
HEADER = ("Lane config written by `edge provision` (re-run it to change the answers; hand edits are kept).\n"
          "Every key, with its doc: edge config example. Check: edge config check")


def add_arguments(p):
    p.add_argument("--answers", metavar="FILE", help="answers TOML (the config's keys + [provision]); no questions")
    p.add_argument("--no-doctor", action="store_true", help="do not run edge doctor at the end")


def say(what: str, text: str) -> None:
    print("provision %s: %s" % (what, text), flush=True)


# ------------------------------------------------------------------ answers

def read_answers(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise EdgeError("answers file %s not found" % path) from None
    except tomllib.TOMLDecodeError as e:
        raise ValidationError([("(file)", "not valid TOML: %s" % e)], "answers %s" % path) from None
    prov = data.get("provision", {})
    if not isinstance(prov, dict):
        raise ValidationError([("provision", "must be a table")], "answers %s" % path)
    bad = sorted(set(prov) - PROVISION_KEYS)
    problems = [("provision.%s" % k, "unknown key (known: %s)" % ", ".join(sorted(PROVISION_KEYS))) for k in bad]
    if prov.get("keys", "generate") not in ("generate", "bundle", "keep"):
        problems.append(("provision.keys", "one of generate, bundle, keep"))
    push = prov.get("push", list(PUSHES))
    if not isinstance(push, list) or any(p not in PUSHES for p in push):
        problems.append(("provision.push", "a list of %s" % ", ".join(PUSHES)))
    if problems:
        raise ValidationError(problems, "answers %s" % path)
    return data


def resolve_board(wanted: str | None, current: str | None, ask=None) -> tuple[str, str]:
    """(profile, how it was chosen). `auto` picks the profile matching the device tree."""
    from edge.io.board import available, detect, find_profile, read_dt_model
    model = read_dt_model()
    found = detect(model)
    if ask is not None:   # the wizard: the installer confirms (Enter) or names another profile
        default = current or (found[0] if found else "sim")
        answer = ask("board profile (%s; this board's model: %s, matches %s)" % (
            ", ".join(available()), model or "none", ", ".join(found) or "none"), default)
        find_profile(answer)
        return answer, "confirmed by the installer (model %s)" % (model or "none")
    wanted = wanted or current or "auto"
    if wanted != "auto":
        find_profile(wanted)  # EdgeError naming the available ones
        return wanted, "as answered"
    if len(found) != 1:
        raise EdgeError("board: auto-detection found %s for model %r; set [provision] board to one of: %s"
                        % (" and ".join(found) or "no profile", model, ", ".join(available())))
    return found[0], "detected from the device tree model %r" % (model or "none")


# ------------------------------------------------------------------ the config, edited in place

def _plain(v):
    return v.unwrap() if hasattr(v, "unwrap") else v


def merge(table, answers: dict) -> None:
    """Set every answered key in the tomlkit table; leave the rest (and comments) alone."""
    for key, value in answers.items():
        if isinstance(value, dict) and key in table and isinstance(_plain(table[key]), dict):
            merge(table[key], value)
        elif key not in table or _plain(table[key]) != value:
            table[key] = value


def flatten(d, prefix="") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def write_config(path: Path, text: str) -> None:
    """Atomic; 0640 root:edge when the group exists (the lane user reads it, others do not)."""
    import grp
    path.parent.mkdir(parents=True, exist_ok=True)
    group = None
    if os.geteuid() == 0:
        try:
            group = grp.getgrnam("edge").gr_gid
        except KeyError:
            pass
    write_atomic(path, text, mode=0o640, group=group)


def apply_config(path: Path, answers: dict, board: str):
    """(config, changed dotted keys); nothing is written when the result would not load."""
    import tomlkit

    from edge.config import parse
    from edge.io.board import load_board
    old_text = path.read_text(encoding="utf-8") if path.exists() else None
    doc = tomlkit.parse(old_text) if old_text is not None else tomlkit.document()
    if old_text is None:
        for line in HEADER.splitlines():
            doc.add(tomlkit.comment(line))
    merge(doc, {k: v for k, v in answers.items() if k != "provision"})
    merge(doc, {"board": {"profile": board}})
    text = tomlkit.dumps(doc)
    config = parse(text, str(path))          # ValidationError lists every bad key; nothing written
    load_board(config.board.profile)
    before = flatten(tomllib.loads(old_text)) if old_text is not None else {}
    after = flatten(tomllib.loads(text))
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if text != old_text:
        write_config(path, text)
    return config, changed


# ------------------------------------------------------------------ the steps after the config

def _state(state_dir) -> dict:
    try:
        return json.loads((Path(state_dir) / "provision.json").read_text())
    except (OSError, ValueError):
        return {}


def _save_state(state_dir, data: dict) -> None:
    from edge.uplink.yunnan.credentials import write_file
    write_file(Path(state_dir) / "provision.json", json.dumps(data, indent=1, sort_keys=True) + "\n", 0o640)


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def step_keys(config, mode: str, bundle: str | None) -> str:
    from edge.uplink.yunnan import credentials, crypto
    if "yunnan" not in config.uplink.destinations:
        return "not needed (no Yunnan destination)"
    priv = credentials.keys_dir(config.state_dir) / credentials.PRIVATE
    if mode == "bundle":
        from edge.commands import keys as keys_verb
        importer = getattr(keys_verb, "import_bundle", None)
        if importer is None:  # seam: the site bundle belongs to the MQTT issue's `edge keys import`
            raise EdgeError("keys = \"bundle\": this version has no `edge keys import` (site bundle) yet; "
                            "use keys = \"generate\" on the first lane")
        return importer(config.state_dir, bundle)
    if priv.exists():
        return "kept %s" % priv
    if mode == "keep":
        raise EdgeError("keys = \"keep\" but there is no key pair in %s" % priv.parent)
    credentials.write_keypair(config.state_dir, crypto.generate_keypair(2048))
    return "generated %s (0600)" % priv


def _ctx(path: Path):
    from edge.cli import Context
    return Context(Namespace(config=str(path)))


def step_register(path: Path, config) -> str:
    from edge.uplink.yunnan import credentials
    if credentials.platform_path(config.state_dir).exists():
        creds = credentials.load_platform(config.state_dir)
        return "already registered (apiKey %s)" % creds.api_key
    from edge.commands import register
    register.run(Namespace(force=False), _ctx(path))
    return "registered"


def step_push(path: Path, config, what: str, state: dict) -> str:
    from edge.uplink.yunnan import payloads
    body = payloads.enterprise_payload(config) if what == "enterprise" else payloads.camera_payloads(config)
    digest = _digest(body)
    if state.get("pushed", {}).get(what) == digest:
        return "unchanged since the last push"
    from edge.commands import push
    push.run(Namespace(what=what, file=None, all=False), _ctx(path))
    state.setdefault("pushed", {})[what] = digest
    _save_state(config.state_dir, state)
    return "pushed"


def step_password(config, prov: dict) -> str:
    from edge.web.passwords import DEFAULT_USER, check_password, set_password
    pw = prov.get("status_password")
    if pw is None and prov.get("status_password_file"):
        try:
            pw = Path(prov["status_password_file"]).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError):
            raise EdgeError("provision.status_password_file %s: cannot read a first line"
                            % prov["status_password_file"]) from None
    if pw is None:
        return "not asked (kept)"
    if check_password(config.state_dir, DEFAULT_USER, pw):
        return "unchanged"
    try:
        set_password(config.state_dir, DEFAULT_USER, pw)
    except EdgeError as e:
        raise EdgeError("provision.status_password: %s" % e) from None
    return "set for user %s (scrypt hash, 0600)" % DEFAULT_USER


def hand_to_lane_user(state_dir) -> None:
    """Run as root, provision wrote the keys as root: the lane runs as `edge` and must read them."""
    import pwd
    if os.geteuid() != 0:
        return
    try:
        u = pwd.getpwnam("edge")
    except KeyError:
        return
    from edge.web.passwords import users_path
    state = Path(state_dir)
    for p in [state, state / "keys", *(state / "keys").glob("*"), state / "provision.json", users_path(state)]:
        if p.exists():
            os.chown(p, u.pw_uid, u.pw_gid)


def step_service(changed: bool, start: bool) -> str:
    import subprocess

    from edge.doctor.service import systemctl_show, under_systemd
    if not under_systemd():
        return "not under systemd here: start the lane with `edge run`"
    p = systemctl_show(["LoadState", "ActiveState"]) or {}
    if p.get("LoadState") != "loaded":
        return "edge.service is not installed (sudo bash tools/install.sh)"
    if not start:
        return "left as it is (start = false)"
    subprocess.run(["systemctl", "enable", "edge.service"], check=False, capture_output=True)
    if changed or p.get("ActiveState") != "active":
        r = subprocess.run(["systemctl", "restart", "edge.service"], capture_output=True, text=True)
        return "restarted" if r.returncode == 0 else "restart failed: %s" % r.stderr.strip()
    return "running, unchanged"


# ------------------------------------------------------------------ the wizard

def _ask(prompt: str, default=None) -> str:
    suffix = " [%s]" % default if default not in (None, "") else ""
    sys.stdout.write("%s%s: " % (prompt, suffix))
    sys.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise EdgeError("no answer (end of input) to: %s" % prompt)
    return line.strip() or ("" if default is None else str(default))


def _section_questions(cls, current: dict, skip=()) -> dict:
    """One question per field of a settings section, with its doc; typed by the schema."""
    import dataclasses
    import typing
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        if f.name in skip or dataclasses.is_dataclass(hints[f.name]):
            continue
        tp = hints[f.name]
        default = current.get(f.name, f.default if f.default is not dataclasses.MISSING else f.metadata.get("example"))
        if tp not in (str, int, float, bool):
            continue
        text = _ask("%s (%s)" % (f.name, f.metadata["doc"].splitlines()[0]), default)
        if f.name not in current and f.default is not dataclasses.MISSING and text == str(f.default):
            continue  # Enter on a schema default: leave the key out, as the config had it
        try:
            out[f.name] = (text.lower() in ("1", "true", "yes", "y")) if tp is bool else tp(text)
        except ValueError:
            raise EdgeError("%s: %r is not a %s" % (f.name, text, tp.__name__)) from None
    return out


def wizard(path: Path) -> dict:
    from getpass import getpass

    from edge.config import CameraSettings, EnterpriseSettings, SiteSettings
    cur = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    print("edge provision: answer each question; Enter keeps the value in [brackets].", flush=True)
    a: dict = {"site": _section_questions(SiteSettings, cur.get("site", {}))}
    a["paths"] = {"state_dir": _ask("state_dir (records, photos, keys)",
                                    cur.get("paths", {}).get("state_dir", "/var/lib/edge"))}
    direction = _ask("lane direction (in/out)", cur.get("lane", {}).get("direction", "in"))
    if direction != "in" or "direction" in cur.get("lane", {}):
        a["lane"] = {"direction": direction}
    y = cur.get("uplink", {}).get("yunnan", {})
    a["uplink"] = {"destinations": ["yunnan"], "yunnan": {"base_url": _ask("Yunnan platform base_url",
                                                                            y.get("base_url"))}}
    print("-- enterprise (Yunnan 6.3)", flush=True)
    a["enterprise"] = _section_questions(EnterpriseSettings, cur.get("enterprise", {}))
    print("-- the lane camera (Yunnan 6.4)", flush=True)
    cams = cur.get("cameras") or [{}]
    a["cameras"] = [dict(cams[0], **_section_questions(CameraSettings, cams[0]))] + cams[1:]
    prov = {"board": "ask", "keys": "generate", "register": _ask("register with the platform now (yes/no)", "yes")
            .lower().startswith("y"), "push": list(PUSHES)}
    pw = getpass("status page password (Enter: keep): ") if sys.stdin.isatty() else _ask("status page password", "")
    if pw:
        prov["status_password"] = pw
    a["provision"] = prov
    return a


# ------------------------------------------------------------------ run

def run(args, ctx):
    from edge.config import find_path
    path = find_path(getattr(args, "config", None))
    answers = read_answers(args.answers) if args.answers else wizard(path)
    prov = answers.get("provision", {})
    current = None
    if path.exists():
        try:
            current = tomllib.loads(path.read_text(encoding="utf-8")).get("board", {}).get("profile")
        except tomllib.TOMLDecodeError:
            pass
    wanted = answers.get("board", {}).get("profile") or prov.get("board")
    board, how = resolve_board(None if wanted == "ask" else wanted, current, ask=_ask if wanted == "ask" else None)
    say("board", "%s (%s)" % (board, how))

    config, changed = apply_config(path, answers, board)
    say("config", "%s: %s" % (path, ("changed " + ", ".join(changed)) if changed else "unchanged"))
    config.state_dir.mkdir(parents=True, exist_ok=True)
    state = _state(config.state_dir)
    say("keys", step_keys(config, prov.get("keys", "generate"), prov.get("site_bundle")))
    yunnan = "yunnan" in config.uplink.destinations
    if yunnan and prov.get("register", True):
        say("register", step_register(path, config))
    if yunnan:
        for what in prov.get("push", list(PUSHES)):
            say("push " + what, step_push(path, config, what, state))
    say("password", step_password(config, prov))
    hand_to_lane_user(config.state_dir)
    say("service", step_service(bool(changed), prov.get("start", True)))
    if args.no_doctor:
        return 0
    say("doctor", "edge doctor --config %s" % path)
    from edge.commands import doctor
    return doctor.run(Namespace(json=False, actuate=False, timeout=5.0, config=str(path)), _ctx(path))
