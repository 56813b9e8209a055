"""Beijing time (UTC+8) for every record, whatever the board's own zone.

The platforms compare our timestamps with theirs (Ningxia answers code 10 for "future time"),
so records never use the board's local zone; NTP keeps the clock, we only fix the offset.
"""
from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")

DATETIME_FMT = "%Y-%m-%d %H:%M:%S"   # spec: YYYY-MM-DD HH:mm:ss
DATE_FMT = "%Y%m%d"                  # spec: YYYYMMDD


def now() -> datetime:
    """The current time as an aware datetime in Beijing time."""
    return datetime.now(BEIJING)


def to_beijing(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: refuse to guess its zone")
    return dt.astimezone(BEIJING)


def fmt_datetime(dt: datetime) -> str:
    return to_beijing(dt).strftime(DATETIME_FMT)


def fmt_date(d) -> str:
    if isinstance(d, datetime):
        d = to_beijing(d).date()
    return d.strftime(DATE_FMT)


def parse_datetime(text: str) -> datetime:
    """Parse the spec's 'YYYY-MM-DD HH:mm:ss' as Beijing time."""
    return datetime.strptime(text, DATETIME_FMT).replace(tzinfo=BEIJING)


def parse_date(text: str) -> date:
    return datetime.strptime(text, DATE_FMT).date()


def stamp_ms(dt: datetime) -> str:
    """yyyyMMddHHmmsszzz (17 digits), as HJ 212 QN and record ids use."""
    dt = to_beijing(dt)
    return dt.strftime("%Y%m%d%H%M%S") + "%03d" % (dt.microsecond // 1000)
