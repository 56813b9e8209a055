"""The wiring table of INSTALL.md, from the board profiles (boards/*.toml), so it cannot drift.

    python tools/install/wiring.py            print the table (markdown)
    python tools/install/wiring.py --check    exit 1 when INSTALL.md's table differs

The Raspberry Pi's 40-pin header is the same on the Pi 4 and Pi 5: its BCM numbers are
translated to header pins here; RK3588 profiles name gpiochip line offsets (their comments,
and INSTALL.md, give the header pins).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BEGIN, END = "<!-- wiring table: tools/install/wiring.py -->", "<!-- end of wiring table -->"
# BCM GPIO number -> physical pin on the Raspberry Pi 40-pin header
PI_HEADER = {2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 5: 29, 6: 31, 13: 33, 19: 35,
             26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26, 12: 32, 16: 36, 20: 38, 21: 40}


def _pin(board, pin: str) -> str:
    if not pin:
        return "— (auto-direction module)"
    if pin.startswith("GPIO") and board.key.startswith("rpi"):
        n = int(pin[4:])
        return "%s (pin %s)" % (pin, PI_HEADER.get(n, "?"))
    if pin.isdigit():
        return "gpiochip%d line %s" % (board.gpio.chip, pin)
    return pin


COLUMNS = (("relay_pin", "open relay (抬杆)"), ("close_relay_pin", "close relay (落杆)"), ("loop_pin", "loop (地感)"),
           ("anti_smash_pin", "anti-smash (防砸)"), ("button_pin", "button (手动抬杆)"),
           ("feedback_pin", "feedback (到位)"))


def _cell(board, key: str) -> str:
    pin = getattr(board.gpio, key)
    if not pin:
        return "—"
    level = "high" if getattr(board.gpio, key.replace("_pin", "_active_high")) else "low"
    return "%s, active %s" % (_pin(board, pin), level)


def table() -> str:
    from edge.io.board import available, load_board
    head = ["board"] + [title for _, title in COLUMNS] + ["RS-485 port", "DE pin", "baud", "state on"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in available():
        b = load_board(name)
        cells = ["`%s` %s" % (name, b.name)] + [_cell(b, key) for key, _ in COLUMNS]
        cells += ["`%s`" % b.serial.rs485_device, _pin(b, b.serial.rs485_de_pin), str(b.serial.rs485_baud),
                  b.storage.medium]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def block() -> str:
    return "%s\n%s\n%s" % (BEGIN, table(), END)


def current(text: str) -> str | None:
    if BEGIN not in text or END not in text:
        return None
    return text[text.index(BEGIN):text.index(END) + len(END)]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        got = current((ROOT / "INSTALL.md").read_text(encoding="utf-8"))
        if got != block():
            print("INSTALL.md: the wiring table differs from the board profiles; paste the output of "
                  "`python tools/install/wiring.py`", file=sys.stderr)
            return 1
        return 0
    print(block())
    return 0


if __name__ == "__main__":
    sys.exit(main())
