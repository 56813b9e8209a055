"""`[uplink.yunnan]`: the Yunnan provincial platform (HTTP/JSON, RSA+AES envelope)."""
from typing import Literal

from edge.settings import section, setting


def _check_paths(value):
    from edge.uplink.yunnan.endpoints import DEFAULT_PATHS
    bad = [k for k in value if k not in DEFAULT_PATHS]
    if bad:
        return "unknown endpoint %s (known: %s)" % (", ".join(bad), ", ".join(DEFAULT_PATHS))
    slashless = [k for k, v in value.items() if not v.startswith("/")]
    if slashless:
        return "path of %s must start with /" % ", ".join(slashless)
    return None


@section
class YunnanSettings:
    base_url: str = setting(doc="Platform base URL; endpoint paths are appended to it.",
                            example="http://127.0.0.1:8710/access/api/dataReceive",
                            pattern=r"https?://\S+", rule="must be an http:// or https:// URL")
    sign_scope: Literal["key+content", "content"] = setting(
        "key+content",
        doc="What SHA256withRSA signs. Spec 5.1 step 6: encryptedAesKey bytes + encryptedContent\n"
            "(default); spec 5.3 says encryptedContent only. Ask the platform operator if unsure.")
    sign_input: Literal["bytes", "base64"] = setting(
        "bytes",
        doc="Whether the signed data is the decoded ciphertext bytes (the Java snippet in 5.1:\n"
            "default) or the UTF-8 bytes of their Base64 texts.")
    timeout_s: float = setting(15.0, doc="Per-request timeout in seconds.", min=1, max=300)
    retries: int = setting(3, doc="Retries of one request on a transient failure (then the outbox retries later).",
                           min=0, max=20)
    backoff_s: float = setting(0.5, doc="First retry delay in seconds; doubles each retry, with full jitter.",
                               min=0.0, max=60)
    backoff_max_s: float = setting(10.0, doc="Longest delay between two retries of one request.", min=0.0, max=600)
    token_margin_s: float = setting(
        300.0, doc="Fetch a new token this long before the current one expires (capped at half its life).",
        min=0, max=3600)
    ca_file: str = setting("", doc="CA bundle for https (empty: system CAs).")
    paths: dict[str, str] = setting(
        {}, doc="Override endpoint paths by name, e.g. { vehicle = \"/carDate\" } (spec 4.1's spelling).\n"
                "Names: init_auth token enterprise camera heartbeat exceed_vehicle strategy strategy_confirm\n"
                "alarm_vehicle alarm_confirm vehicle machinery access exceed_verification. Defaults are the\n"
                "section 6 paths (/vehicleInfo, /alarmConfirm, /exceedVehicleConfirm, ...).",
                                    check=_check_paths)
    max_answer_kb: int = setting(4096, doc="Largest platform answer read, in KiB (a page of 100 records is ~100 KiB); a\n"
                                           "bigger one is a transient error, never read into memory.", min=64, max=65536)
    max_pull_records: int = setting(50000, doc="Records one pull of one list may bring (exceed vehicles, strategies, alarms);\n"
                                               "beyond it the pull stops as failed and its date is not advanced.",
                                    min=100, max=10_000_000)
    max_pull_mb: int = setting(64, doc="Bytes one pull of one list may bring, in MiB (same rule).", min=1, max=4096)
    cache_max_mb: int = setting(256, doc="Largest size of the platform cache on flash, in MiB: a platform flooding pulls\n"
                                         "cannot fill the disk the outbox needs; a full cache refuses new records (an error).",
                                min=8, max=16384)
    pull_start: str = setting("2000-01-01", doc="vehicleTimestamp/strategyTimestamp/alarmTimestamp of the very first pull\n"
                                                "(later pulls resume from the persisted date).",
                              pattern=r"\d{4}-\d{2}-\d{2}", rule="YYYY-MM-DD")
