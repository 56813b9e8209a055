"""Minute arithmetic on Beijing time text: MicroPython has no datetime.

Times arrive as the spec's "YYYY-MM-DD HH:MM:SS" (Beijing); a time of day is minutes since
midnight (0..1440, 1440 = 24:00); a window is [start, end) of minutes and runs over midnight
when end < start ("22:00-06:00" = [1320, 360]).
"""

_DIGITS = "0123456789"


def _num(s):
    if not s or any(c not in _DIGITS for c in s):
        raise ValueError
    return int(s)


def minute_of_day(now):
    """Minutes since midnight of a 'YYYY-MM-DD HH:MM:SS' text; ValueError naming the rule."""
    try:
        if len(now) != 19 or now[4] != "-" or now[7] != "-" or now[10] != " " or now[13] != ":":
            raise ValueError
        h, m = _num(now[11:13]), _num(now[14:16])
        _num(now[:4]), _num(now[5:7]), _num(now[8:10]), _num(now[17:19])
    except (ValueError, TypeError):
        raise ValueError("now: must be 'YYYY-MM-DD HH:MM:SS' (Beijing), got '%s'" % (now,))
    if h > 23 or m > 59:
        raise ValueError("now: '%s' is not a time of day" % (now,))
    return h * 60 + m


def hhmm(minutes):
    """1320 -> '22:00'; 1440 -> '24:00'."""
    return "%02d:%02d" % (minutes // 60, minutes % 60)


def window_text(window):
    return "%s-%s" % (hhmm(window[0]), hhmm(window[1]))


def in_window(minute, window):
    start, end = window
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end          # over midnight


def date_digits(text):
    """The digits of a date in any of the specs' spellings ('2025-07-04', '20250704') -> '20250704'."""
    return "".join(c for c in str(text or "") if c in _DIGITS)[:8]
