"""Everything that differs between HJ 212 editions, in one place.

HJ 212-2017 §6.3.2 defines `Flag` as one byte `V5 V4 V3 V2 V1 V0 D A`:
  A (bit 0)  1 = the receiver must answer this packet;
  D (bit 1)  1 = the message is split; `PNUM`/`PNO` are present;
  V5..V0     protocol version: 000001 = HJ 212-2017 (000000 was HJ/T 212-2005).
So the Ningxia guide's "Flag 默认值为 5" is version 1 + answer required, and a split packet of
ours carries Flag=7. HJ 212-2025 (in force 2026-01-01) keeps the layout and bumps the version
to 000010, which is why public 2025 code reports Flag 8–11. The Ningxia guide (2025-02) names
2017, so "2017" is the default; `[uplink.hj212] edition = "2025"` switches.

Pure and MicroPython-safe (imported by codec.py).
"""

ANSWER_BIT = 0x01   # A
SPLIT_BIT = 0x02    # D
VERSION_SHIFT = 2

VERSIONS = {"2017": 1, "2025": 2}
DEFAULT_EDITION = "2017"


def version(edition):
    try:
        return VERSIONS[edition]
    except KeyError:
        raise ValueError("edition must be one of %s, not %r" % (", ".join(sorted(VERSIONS)), edition))


def flag(edition=DEFAULT_EDITION, answer=True, split=False):
    """The Flag value for a packet we send."""
    f = version(edition) << VERSION_SHIFT
    if answer:
        f |= ANSWER_BIT
    if split:
        f |= SPLIT_BIT
    return f


def edition_of(flag_value):
    """Which edition a received Flag claims, or None for an unknown version (e.g. 2005's 0)."""
    v = flag_value >> VERSION_SHIFT
    for name in VERSIONS:
        if VERSIONS[name] == v:
            return name
    return None


def is_split(flag_value):
    return bool(flag_value & SPLIT_BIT)


def wants_answer(flag_value):
    return bool(flag_value & ANSWER_BIT)


def with_split(flag_value, split):
    return (flag_value | SPLIT_BIT) if split else (flag_value & ~SPLIT_BIT)
