"""`[policy]` through `edge config check` (the real CLI): unknown keys and unreadable rules are
named with their rule; the example renders the whole section and loads."""
from edge import config as cfg
from edge.cli import main
from tests.foundation.test_config import MINIMAL


def check(tmp_path, capsys, policy):
    f = tmp_path / "lane.toml"
    f.write_text(MINIMAL + "[policy]\n" + policy, encoding="utf-8")
    code = main(["config", "check", "--config", str(f)])
    out = capsys.readouterr()
    return code, out.err.splitlines(), out.out


def test_good_policy_section_passes(tmp_path, capsys):
    code, err, out = check(tmp_path, capsys, 'check_exit = true\nforbidden = ["22:00-06:00", '
                           '"每日6:00-22:00禁止国四及以下柴油货车通行"]\nwhitelist = ["*警", "云A0000?"]\n'
                           'min_standard = { C = ["4", "5", "5"], "C:E" = ["", "5", "6"], "*:F" = ["5", "5", "6"] }\n')
    assert code == 0, err
    assert "ok (site" in out


def test_unknown_policy_key_is_named(tmp_path, capsys):
    code, err, _ = check(tmp_path, capsys, 'check_exits = true\n')
    assert code == 2
    assert any(line.startswith("  policy.check_exits: unknown key (allowed: check_exit,") for line in err), err


def test_unreadable_forbidden_rule_is_named(tmp_path, capsys):
    code, err, _ = check(tmp_path, capsys, 'forbidden = ["22:00-06:00", "周末禁止进出"]\n')
    assert code == 2
    assert "  policy.forbidden[1]: cannot read '周末禁止进出' (see README \"Gate decision\" for the forms understood)" in err


def test_malformed_min_standard_rows_are_named(tmp_path, capsys):
    code, err, _ = check(tmp_path, capsys, 'min_standard = { A = ["", "", "7"] }\n')
    assert code == 2 and "  policy.min_standard.A[2]: '7' is not \"\" or an emission standard 0-6" in err
    code, err, _ = check(tmp_path, capsys, 'min_standard = { Z = ["", "", "5"] }\n')
    assert code == 2 and any(line.startswith("  policy.min_standard.Z: 'Z' is not a performance level") for line in err)
    code, err, _ = check(tmp_path, capsys, 'min_standard = { "A:W" = ["", "", "5"] }\n')
    assert code == 2 and "  policy.min_standard.A:W: 'W' is not a fuel code (appendix 7.5)" in err
    code, err, _ = check(tmp_path, capsys, 'min_standard = { A = ["5"] }\n')
    assert code == 2 and any("policy.min_standard.A: must be 3 standards" in line for line in err)


def test_bad_types_and_choices_are_named(tmp_path, capsys):
    code, err, _ = check(tmp_path, capsys, 'unregistered = "wait"\nwhitelist_use_types = ["H", "W"]\n'
                         'cache_stale_s = -1\nforbidden = "22:00-06:00"\n')
    assert code == 2
    text = "\n".join(err)
    assert "policy.unregistered: must be one of 'refuse', 'allow'" in text
    assert "policy.whitelist_use_types: 'W' not a code of yunnan.use_type" in text
    assert "policy.cache_stale_s: must be ≥ 0" in text
    assert "policy.forbidden: must be a list" in text
    assert "Traceback" not in text


def test_example_renders_the_policy_section_and_its_table():
    text = cfg.example()
    assert "[policy]" in text and "check_exit = false" in text and 'unregistered = "refuse"' in text
    assert 'min_standard = { LE = ["", "", "5"], A = ["", "", "5"], B = ["", "5", "5"]' in text
    c = cfg.parse(text)
    assert c.policy.check_exit is False and c.policy.whitelist == ["*警", "*应急", "WJ*"]
    assert cfg.parse(MINIMAL).policy.min_standard == {}
