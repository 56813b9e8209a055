"""National plate format rules (edge.vision.plates.formats): table-driven, pure."""
import pytest

from edge.vision.plates import formats

VALID = [
    ("皖AD14488", "nev_small"),      # small new energy, D = electric
    ("云AF12345", "nev_small"),      # F = not purely electric
    ("京AK1234" + "5", "nev_small"),  # 2022 extension letter K
    ("粤B12345D", "nev_large"),
    ("川A12345F", "nev_large"),
    ("苏CFY773", "ordinary"),
    ("云A12345", "ordinary"),
    ("新Z9ZZ99", "ordinary"),
    ("陕A1234学", "coach"),
    ("冀B1234挂", "trailer"),
    ("京A1234警", "police"),
    ("沪A1234领", "consulate"),
    ("粤Z1234港", "hk_macao"),
    ("粤Z1A34澳", "hk_macao"),
    ("使123456", "embassy"),
    ("云A1234应急", "emergency"),
]

INVALID = [
    ("", "empty"),
    ("A皖12345", "position 1"),
    ("X12345", "position 1"),
    ("云A1234", "too short"),
    ("云A12345678", "too long"),
    ("云1A2345", "position 2"),
    ("云IA2345", "position 2"),
    ("云AO2345", "I and O"),
    ("云A12I45", "I and O"),
    ("云A12345X", "8-character"),        # neither NEV layout
    ("云AD1234X", "small new-energy"),   # small NEV: last four must be digits
    ("云A1234XD", "large new-energy"),   # large NEV: positions 3-7 digits
    ("云A12学45", "suffix"),
    ("云Z1234港", "粤Z"),
    ("使12345", "embassy"),
    ("云A12#45", "not a plate character"),
]


@pytest.mark.parametrize("plate,kind", VALID)
def test_valid_plates_have_their_kind(plate, kind):
    chk = formats.check(plate)
    assert chk.ok, chk.reason
    assert chk.kind == kind
    assert chk.reason == ""


@pytest.mark.parametrize("plate,why", INVALID)
def test_invalid_plates_say_why(plate, why):
    chk = formats.check(plate)
    assert not chk.ok
    assert chk.kind is None
    assert why in chk.reason, chk.reason


def test_all_31_provinces_accepted_and_no_others():
    assert len(formats.PROVINCES) == 31
    for p in formats.PROVINCES:
        assert formats.check(p + "A12345").ok
    assert not formats.check("港A12345").ok


def test_check_never_rewrites_the_read():
    # a read with a letter O where a 0 belongs stays invalid; nothing maps O -> 0
    chk = formats.check("云AO1234")
    assert not chk.ok and "I and O" in chk.reason


@pytest.mark.parametrize("kind,color,fits", [
    ("nev_small", "green", True), ("nev_small", "blue", False),
    ("nev_large", "yellow_green", True), ("nev_large", "yellow", False),
    ("trailer", "yellow", True), ("police", "white", True), ("police", "blue", False),
    ("ordinary", "blue", True), (None, "blue", True), ("ordinary", "unknown", True),
])
def test_colour_fits_kind(kind, color, fits):
    assert formats.colour_fits(kind, color) is fits
