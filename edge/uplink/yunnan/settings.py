"""`[uplink.yunnan]`: the Yunnan provincial platform (HTTP/JSON, RSA+AES envelope)."""
from typing import Literal

from edge.settings import section, setting


@section
class YunnanSettings:
    base_url: str = setting(doc="Platform base URL; endpoint paths are appended to it.",
                            example="http://127.0.0.1:8710/access/api/dataReceive",
                            pattern=r"https?://\S+", rule="must be an http:// or https:// URL")
    sign_scope: Literal["key+content", "content"] = setting(
        "key+content",
        doc="What SHA256withRSA signs. Spec 5.1 step 6: encryptedAesKey bytes + encryptedContent\n"
            "(default); spec 5.3 says encryptedContent only. Ask the platform operator if unsure.")
    timeout_s: float = setting(15.0, doc="Per-request timeout in seconds.", min=1, max=300)
    retries: int = setting(3, doc="Retries of one request on a transient failure (then the outbox retries later).",
                           min=0, max=20)
    ca_file: str = setting("", doc="CA bundle for https (empty: system CAs).")
    paths: dict[str, str] = setting({}, doc="Override endpoint paths, e.g. { vehicle = \"/carDate\" }.")
