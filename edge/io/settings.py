"""`[display]`: the LED display and the voice module on the RS-485 bus (edge/io/signage.py)."""
from typing import Literal

from edge.settings import section, setting

_DEVICE = r"|pty|/dev/\S+|socket://\S+|rfc2217://\S+"
_DEVICE_RULE = "empty (the board's RS-485 port), \"pty\", or a device path such as /dev/ttyUSB0"


@section
class DisplaySettings:
    port: str = setting("", doc="Serial device of the LED display (and of the voice module unless voice_port says otherwise).\n"
                                "Empty: the board's RS-485 port (board serial.rs485_device; \"pty\" on the sim board).",
                        pattern=_DEVICE, rule=_DEVICE_RULE)
    baud: int = setting(0, doc="Baud rate; 0: the board's rs485_baud. BX-5K/6K cards run at 9600 or 57600,\n"
                               "the SYN6288 at 9600 (19200/38400 after a baud command).", min=0, max=921600)
    led: Literal["bx5k", "none"] = setting(
        "bx5k", doc="LED controller protocol: bx5k (Onbon 仰邦 BX-5K/6K 字库卡, the usual gate/parking card), or none.")
    voice: Literal["syn6288", "xfs5152", "none"] = setting(
        "syn6288", doc="Voice module: syn6288 (宇音天下 SYN6288), xfs5152 (iFlytek XFS5152CE), or none.")
    voice_port: str = setting("", doc="Serial device of the voice module when it is not on the display's bus; empty: port.",
                              pattern=_DEVICE, rule=_DEVICE_RULE)
    voice_baud: int = setting(0, doc="Baud rate of voice_port; 0: baud.", min=0, max=921600)
    voice_encoding: Literal["gb2312", "gbk", "big5", "unicode"] = setting(
        "gb2312", doc="Text encoding sent to the voice module; a character GB2312 lacks is sent as GBK.")
    voice_volume: int = setting(-1, doc="Voice volume 0-16 ([v?] mark before each text); -1: leave the module's setting.",
                                min=-1, max=16)
    led_address: int = setting(1, doc="The LED card's screen address (屏地址, default 1); 65534 (0xFFFE) reaches any card.",
                               min=0, max=0xFFFE)
    led_width: int = setting(128, doc="Display width in pixels.", min=16, max=4096)
    led_height: int = setting(64, doc="Display height in pixels (rows = height / led_font_px).", min=16, max=1024)
    led_font_px: Literal[16, 24, 32] = setting(16, doc="Character height the card's font uses (16, 24 or 32 dots).")
    led_answer: bool = setting(True, doc="Ask the LED card to acknowledge every update (a dead card then shows in the status).")
    answer_timeout_s: float = setting(1.0, doc="How long to wait for a device's answer.", min=0.05, max=10)
    write_timeout_s: float = setting(2.0, doc="A write that takes longer fails (the gate never waits on a wedged port).",
                                     min=0.1, max=30)
    idle_lines: list[str] = setting(["车辆请减速", "一车一杆"], doc="What the display shows while nobody is at the gate.")
