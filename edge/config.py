"""The lane board's config: one TOML file, found via --config PATH or $EDGE_CONFIG.

Unknown keys are errors (a typo must not silently fall back to a default at a gate), and
every problem is reported at once as `dotted.key: rule`. The schema below and the sections
it imports are the single source for validation and for `edge config example`.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from edge.errors import EdgeError, ValidationError
from edge.settings import load, render, section, setting
from edge.io.settings import DisplaySettings
from edge.lane.settings import LaneSettings
from edge.lane.smoke_settings import SmokeSettings
from edge.policy.settings import PolicySettings
from edge.site.settings import MqttSettings
from edge.store.settings import OutboxSettings
from edge.uplink.settings import UplinkSettings
from edge.vision.settings import VisionSettings
from edge.web.settings import WebSettings

DEFAULT_PATH = "/etc/edge/edge.toml"

_ENTRANCE = r"[A-Z]"
_GATE = r"[A-Z]\d{2}"


@section
class SiteSettings:
    enterprise_id: str = setting(
        doc="Enterprise id (企业编号): pollutant discharge permit / registration number, or per HJ 608.",
        example="91530100MA6K5XYZ1P001V", pattern=r"[0-9A-Z]{1,22}",
        rule="1–22 upper-case letters or digits")
    enterprise_name: str = setting(doc="Full enterprise name (企业名称).", example="云南示例钢铁有限公司",
                                   pattern=r"\S.{0,99}", rule="1–100 characters")
    entrance_id: str = setting(doc="Entrance id (出入口编号): one letter, A, B, C… unique in the site.",
                               example="A", pattern=_ENTRANCE, rule="one upper-case letter A–Z")
    gate_id: str = setting(doc="Gate id (道闸编号): entrance letter + 2-digit gate number.",
                           example="A01", pattern=_GATE, rule="entrance letter + 2 digits, e.g. A01")
    lane_name: str = setting("", doc="Human name of this lane for the status page, e.g. \"1号门 进厂\".")

    def validate(self):
        if self.gate_id and self.entrance_id and not self.gate_id.startswith(self.entrance_id):
            yield ("gate_id", "must start with entrance_id %r" % self.entrance_id)


@section
class PathSettings:
    state_dir: str = setting(doc="Where the outbox, photos, keys and caches live (on eMMC).",
                             example="/var/lib/edge")


@section
class BoardSettings:
    profile: str = setting("sim", doc="Board profile name from boards/ (rpi4, rpi5, orangepi5, rock5b, sim) or a path to one.")


@section
class LogSettings:
    level: str = setting("INFO", doc="Log level.", pattern=r"(?i)DEBUG|INFO|WARNING|ERROR",
                         rule="one of DEBUG, INFO, WARNING, ERROR")


_DIGITS = r"\d+"


@section
class EnterpriseSettings:
    """Yunnan 6.3 企业信息 — field names exactly as the spec prints them."""
    enterpriseCode: str = setting(doc="Unified social credit code (统一社会信用代码).", example="91530100MA6K5XYZ1P",
                                  pattern=r"[0-9A-Z]{18}", rule="18 upper-case letters or digits")
    address: str = setting(doc="Address, down to township/street.", example="云南省昆明市安宁市草铺街道")
    areaCode: str = setting(doc="Prefecture code (州市代码, appendix 7.2).", example="530100")
    regionCode: str = setting(doc="County code (区县代码, appendix 7.2).", example="530181")
    legalPerson: str = setting(doc="Legal representative.", example="张三")
    contactPerson: str = setting(doc="Contact person.", example="李四")
    contactPhone: str = setting(doc="Contact phone.", example="13800000000", pattern=r"[0-9+\-]{5,20}",
                                rule="5–20 digits, + or -")
    industryType: str = setting(doc="Industry type (行业类型, appendix 7.9).", example="01")
    industryBranch: str = setting("", doc="Industry branch (行业分支, appendix 7.9), optional.")
    longitude: float = setting(doc="Longitude in degrees, 6 decimals.", example=102.478123, min=73, max=136)
    latitude: float = setting(doc="Latitude in degrees, 6 decimals.", example=24.919456, min=3, max=54)
    performanceLevel: str = setting(doc="Performance grading (绩效分级, appendix 7.10).", example="A")
    entranceNums: int = setting(doc="Number of freight entrances.", example=2, min=0)
    gateNums: int = setting(doc="Number of gates (barriers).", example=4, min=0)
    outsideCars: int = setting(doc="Number of transport vehicles.", example=120, min=0)
    insideCars: int = setting(doc="Number of in-plant transport vehicles.", example=15, min=0)
    machinerys: int = setting(doc="Number of non-road machines.", example=8, min=0)
    status: str = setting("1", doc="1 normal, 0 out of service.", pattern=r"[01]", rule="0 or 1")


@section
class CameraSettings:
    """Yunnan 6.4 摄像头信息 — field names exactly as the spec prints them."""
    cameraSeq: int = setting(doc="2-digit camera sequence number at this entrance (builds cameraId).",
                             example=1, min=1, max=99)
    cameraName: str = setting(doc="Camera name.", example="A口车牌识别")
    cameraType: str = setting(doc="1 plate recognition, 2 video surveillance, 3 infrared.", example="1",
                              pattern=r"[123]", rule="1, 2 or 3")
    cameraModel: str = setting(doc="Camera model.", example="DS-2CD7A47")
    manufacturer: str = setting(doc="Manufacturer.", example="海康威视")
    installDate: str = setting(doc="Install date YYYYMMDD.", example="20250101", pattern=r"\d{8}",
                               rule="YYYYMMDD")
    cameraIp: str = setting(doc="Camera IP address.", example="127.0.0.1")
    cameraHost: str = setting(doc="Camera port (the spec calls it cameraHost).", example="8554")
    cameraUsername: str = setting("", doc="Camera user name.", example="admin")
    cameraPassword: str = setting("", doc="Camera password (never logged or shown).", secret=True,
                                 example="change-me")
    cameraChannel: str = setting("1", doc="Channel number.")
    resolution: str = setting("1920*1080", doc="Resolution.")
    recordingEnabled: str = setting("1", doc="1 recording, 0 not.", pattern=r"[01]", rule="0 or 1")
    nvrIp: str = setting("", doc="NVR IP address (the spec requires the NVR fields for upload).", example="127.0.0.1")
    nvrPost: str = setting("", doc="NVR port (the spec calls it nvrPost).", example="8000")
    nvrUsername: str = setting("", doc="NVR user name.", example="admin")
    nvrPassword: str = setting("", doc="NVR password (never logged or shown).", secret=True,
                              example="change-me")
    rtsp_url: str = setting("", doc="RTSP URL the lane reads frames from (ours, not a spec field).",
                            example="rtsp://127.0.0.1:8554/lane")
    role: Literal["", "head", "body", "smoke"] = setting(
        "", doc="What the lane uses this camera for (ours, not a spec field): \"head\" reads plates and gives the\n"
                "head photo (carHeadImg), \"body\" gives the body photo (carImg), \"smoke\" only watches the exhaust\n"
                "(name it in [smoke] camera); empty: the head camera if no camera has role \"head\" and it is the first\n"
                "cameraType 1 camera with an rtsp_url, else none. One head and one body camera at most.")


@section
class Config:
    site: SiteSettings = setting(doc="This lane's place in the site.")
    paths: PathSettings = setting(doc="Storage.")
    board: BoardSettings = setting(BoardSettings, doc="Board profile.")
    log: LogSettings = setting(LogSettings, doc="Logging.")
    lane: LaneSettings = setting(LaneSettings, doc="Lane jobs.")
    uplink: UplinkSettings = setting(UplinkSettings, doc="Platforms.")
    outbox: OutboxSettings = setting(OutboxSettings, doc="Store and forward.")
    vision: VisionSettings = setting(VisionSettings, doc="Plate and smoke recognition.")
    smoke: SmokeSettings = setting(SmokeSettings, doc="Black-smoke camera (optional).")
    policy: PolicySettings = setting(PolicySettings, doc="Gate decision: local rules (README \"Gate decision\").")
    display: DisplaySettings = setting(DisplaySettings, doc="LED display and voice module on RS-485 (HJ 1321 function 8).")
    mqtt: MqttSettings = setting(MqttSettings, doc="Site broker: lanes of one site coordinate over MQTT (README \"One site, many lanes\").")
    web: WebSettings = setting(WebSettings, doc="Status page (guard house, phones at the gate).")
    enterprise: EnterpriseSettings | None = setting(None, doc="Enterprise details uploaded to the platform (Yunnan 6.3).")
    cameras: list[CameraSettings] = setting([], doc="Cameras (Yunnan 6.4).")

    def validate(self):
        for role in ("head", "body"):
            named = [c.cameraName for c in self.cameras if c.role == role]
            if len(named) > 1:
                yield ("cameras", "%d cameras have role %r (%s): at most one" % (len(named), role, ", ".join(named)))
            if named and not next(c for c in self.cameras if c.role == role).rtsp_url:
                yield ("cameras", "the %s camera %r has no rtsp_url" % (role, named[0]))
        if self.vision.ring_s < self.lane.clip_pre_s + self.lane.clip_post_s + 10:
            yield ("vision.ring_s", "must be ≥ [lane] clip_pre_s + clip_post_s + 10 s (%g): the ring must hold a "
                                    "passage's clip" % (self.lane.clip_pre_s + self.lane.clip_post_s + 10))
        for c in self.cameras:
            if c.role == "smoke" and c.cameraName != self.smoke.camera:
                yield ("cameras", "camera %r has role \"smoke\" but [smoke] camera is %r" % (c.cameraName, self.smoke.camera))
        if self.smoke.camera and not any(c.cameraName == self.smoke.camera and c.rtsp_url for c in self.cameras):
            yield ("smoke.camera", "names no [[cameras]] entry with an rtsp_url (cameraName %r)" % self.smoke.camera)
        for d in self.smoke.destinations:
            if d not in self.uplink.destinations:
                yield ("smoke.destinations", "%r is not in [uplink] destinations" % d)

    @property
    def state_dir(self) -> Path:
        return Path(self.paths.state_dir)


EXAMPLE_HEADER = """\
Lane board config for the edge gate controller.
Copy it, fill in the site's values, check it with: edge config check --config FILE
Keys marked '# required' must be present; unknown keys are errors."""


def example() -> str:
    return render(Config, EXAMPLE_HEADER)


def loopback_host(host: str) -> bool:
    """True for this machine: localhost, 127.0.0.0/8, ::1."""
    import ipaddress
    h = (host or "").strip("[]").lower()
    if h in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def find_path(arg: str | None) -> Path:
    return Path(arg or os.environ.get("EDGE_CONFIG") or DEFAULT_PATH)


def parse(text: str, source: str = "config") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValidationError([("(file)", "not valid TOML: %s" % e)], source) from None
    return load(Config, data, source)


MAX_CONFIG_BYTES = 1 << 20


def load_config(path: str | os.PathLike | None = None) -> Config:
    import stat
    p = find_path(str(path) if path else None)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise EdgeError("config file %s not found (use --config PATH or set EDGE_CONFIG)" % p) from None
    except OSError as e:
        raise EdgeError("config file %s cannot be read: %s" % (p, e.strerror or e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise EdgeError("config file %s is a folder; --config names the .toml file (e.g. %s/edge.toml)" % (p, p))
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CONFIG_BYTES:
        raise EdgeError("config file %s is not a config file (a regular file of at most 1 MB)" % p)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise EdgeError("config file %s cannot be read: %s" % (p, e.strerror or e)) from None
    try:
        text = raw.decode("utf-8-sig")     # Notepad writes a BOM; TOML itself is UTF-8
    except UnicodeDecodeError:
        raise ValidationError([("(file)", "must be UTF-8 text (TOML)")], str(p)) from None
    return parse(text, str(p))


# ---------------------------------------------------------------- edge config check

# values the example config ships with: left in place they are a board nobody configured
PLACEHOLDERS = {"change-me": "the example password", "91530100MA6K5XYZ1P001V": "the example enterprise id",
                "91530100MA6K5XYZ1P": "the example credit code", "91640100MA76XYZ12X": "the example MN",
                "云南示例钢铁有限公司": "the example enterprise name"}


def platform_problems(config: Config) -> list[tuple[str, str]]:
    """What the platform would refuse in [enterprise] and [[cameras]]: the bodies `edge push`
    sends, checked by the spec's rules (areaCode, industryType, cameraType, ips, ports…)."""
    from edge.domain.validate import validate
    from edge.uplink.yunnan import payloads
    out = []
    if config.enterprise is not None:
        out += [("enterprise." + f, r) for f, r in validate("enterprise", payloads.enterprise_payload(config))
                if f not in ("enterpriseId", "enterpriseName")]
    try:
        bodies = payloads.camera_payloads(config)
    except EdgeError as e:
        return out + [("cameras", str(e))]
    for i, body in enumerate(bodies):
        out += [("cameras[%d].%s" % (i, f), r) for f, r in validate("camera", body)
                if f not in ("cameraId", "enterpriseId", "entranceId", "gateId")]
    return out


def _strings(obj, path=""):
    import dataclasses
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _strings(getattr(obj, f.name), "%s.%s" % (path, f.name) if path else f.name)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _strings(v, "%s[%d]" % (path, i))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(v, "%s.%s" % (path, k))
    elif isinstance(obj, str):
        yield path, obj


def _machine_arch() -> str:
    import platform
    m = platform.machine().lower()
    return {"arm64": "aarch64", "amd64": "x86_64", "x64": "x86_64"}.get(m, m)


def has_secrets(config: Config) -> bool:
    from urllib.parse import urlsplit
    if any(c.cameraPassword or c.nvrPassword for c in config.cameras):
        return True
    if any(urlsplit(c.rtsp_url).password for c in config.cameras if c.rtsp_url):
        return True
    return config.uplink.hj212 is not None and bool(config.uplink.hj212.pw)


def warnings(config: Config, path=None, board=None) -> list[tuple[str, str]]:
    """(key, text) for what is legal but most likely wrong on a real board."""
    import stat
    from urllib.parse import urlsplit
    out = []
    for key, value in _strings(config):
        for ph, what in PLACEHOLDERS.items():
            if value == ph or (ph == "change-me" and ph in value):
                out.append((key, "still %s %r from `edge config example`" % (what, ph)))
    if config.uplink.hj212 is not None and config.uplink.hj212.pw == "123456":
        out.append(("uplink.hj212.pw", "still the HJ 212 default password 123456"))
    if not config.cameras:
        out.append(("cameras", "no [[cameras]]: the lane reads no plates and uploads no camera (Yunnan 6.4)"))
    for i, c in enumerate(config.cameras):
        if c.rtsp_url and not urlsplit(c.rtsp_url).scheme:
            out.append(("cameras[%d].rtsp_url" % i, "has no scheme: write rtsp://host:port/path"))
        elif c.rtsp_url and urlsplit(c.rtsp_url).scheme not in ("rtsp", "rtsps", "http", "https", "rtmp", "file"):
            out.append(("cameras[%d].rtsp_url" % i, "scheme %r is not a camera stream (rtsp://...)"
                        % urlsplit(c.rtsp_url).scheme))
    if board is not None and board.arch != _machine_arch() and not board.simulated:
        out.append(("board.profile", "profile %s is for %s, this machine is %s" % (board.key, board.arch, _machine_arch())))
    y = config.uplink.yunnan
    if y is not None and "yunnan" in config.uplink.destinations:
        u = urlsplit(y.base_url)
        if u.scheme == "http" and not loopback_host(u.hostname or ""):
            out.append(("uplink.yunnan.base_url", "http:// to %s: the platform's answers carry no signature the board "
                        "can check, so anyone on the path can fake an acknowledgement; use https://" % u.hostname))
        if y.ca_file and not os.path.isfile(y.ca_file):
            out.append(("uplink.yunnan.ca_file", "%s does not exist" % y.ca_file))
    if path is not None:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = 0
        if mode & 0o044 and has_secrets(config):
            out.append(("(file)", "%s holds passwords and is readable by other users (mode %o): chmod 600 %s"
                        % (path, stat.S_IMODE(mode), path)))
    return out
