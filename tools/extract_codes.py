"""Generate edge/domain/code_tables.py from the spec text in /work/shared/seeds.

    python -m tools.extract_codes            # rewrite edge/domain/code_tables.py
    python -m tools.extract_codes --check    # exit 1 if the committed module is stale

Sources (PDF text extractions, so rows can be broken by page headers):
  000 = Yunnan 信息采集传输技术规范, appendix 7.1-7.10 (tab separated rows)
  001 = Ningxia 建设联网技术指南, chapter 8 数据字典 (space separated rows), plus the coded
        value lists printed inside 5.2 表2/表3 and the result codes of 7.4.
Names are kept exactly as printed; the few obvious typos are corrected through FIXES below
(each one must match exactly once, or the script fails), so the printed value stays on record.
The generated module is plain dicts so it imports under MicroPython.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
YUNNAN = SEEDS / "000_215b9881b7c502dd.txt"
NINGXIA = SEEDS / "001_c3132f9f855b4d77.txt"
OUT = ROOT / "edge" / "domain" / "code_tables.py"

# (table, printed code, printed name, fixed code, fixed name, why)
FIXES = [
    ("yunnan.region", "5530900", "临沧市", "530900", "临沧市",
     "code printed with a doubled 5; every other code is 6 digits and 临沧市's counties are 5309xx"),
    ("yunnan.use_type", "S", "中小學生校车", "S", "中小学生校车",
     "traditional 學 in a simplified-Chinese table; Ningxia 8.2 prints 中小学生校车"),
    ("ningxia.fuel_type", "F", "化石油气", "F", "液化石油气",
     "first character lost in extraction; GA/T 16 and Yunnan 7.5 print 液化石油气"),
    ("ningxia.use_type", "K", "程不救险", "K", "工程救险",
     "garbled extraction; GA/T 16 prints K 工程救险 (Yunnan 7.4 has 工程抢险)"),
]

# Yunnan appendix: heading -> (table name, code pattern)
YUNNAN_SECTIONS = {
    "7.1": ("yunnan.vehicle_type", r"[A-Z]\d\d"),
    "7.2": ("yunnan.region", r"\d{6,7}"),
    "7.3": ("yunnan.plate_kind", r"\d\d"),
    "7.4": ("yunnan.use_type", r"[A-Z]"),
    "7.5": ("yunnan.fuel_type", r"[A-Z]"),
    "7.6": ("yunnan.plate_color", r"\d"),
    "7.7": ("yunnan.emission_standard", r"[0-9A-Z]"),
    "7.8": ("yunnan.machinery_type", r"\d"),
    "7.9": None,    # industry: two tables from one five-column table
    "7.10": None,   # performance level: three columns
}

NINGXIA_SECTIONS = {
    "8.1": ("ningxia.fuel_type", r"[A-Z]"),
    "8.2": ("ningxia.use_type", r"[A-Z]"),
    "8.3": ("ningxia.vehicle_type", r"[A-Z][0-9][0-9A-Z]"),
}


def _add(tables, table, code, name):
    t = tables.setdefault(table, {})
    if code in t:
        raise SystemExit("%s: duplicate code %s" % (table, code))
    t[code] = name.strip()


def parse_yunnan(text):
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip() == "7 附录")
    tables = {}
    section = None
    for line in lines[start + 1:]:
        m = re.match(r"^(7\.\d+) ", line)
        if m:
            section = m.group(1)
            continue
        if section is None or not line.strip():
            continue
        cols = line.split("\t")
        if section == "7.9":
            # 序号 | 行业类型码值 | 行业类型 | 行业分支码值 | 行业分支 ; continuation rows start with 3 empty columns
            if len(cols) == 5 and re.fullmatch(r"\d\d", cols[1].strip()):
                _add(tables, "yunnan.industry_type", cols[1].strip(), cols[2])
                _add(tables, "yunnan.industry_branch", cols[3].strip(), cols[4])
            elif len(cols) == 5 and not cols[0].strip() and re.fullmatch(r"\d{4}", cols[3].strip()):
                _add(tables, "yunnan.industry_branch", cols[3].strip(), cols[4])
            continue
        if section == "7.10":
            if len(cols) == 3 and re.fullmatch(r"\d+", cols[0].strip()):
                _add(tables, "yunnan.performance_level", cols[1].strip(), cols[2])
            continue
        name, pattern = YUNNAN_SECTIONS[section]
        if len(cols) == 2 and re.fullmatch(pattern, cols[0].strip()):
            _add(tables, name, cols[0].strip(), cols[1])
    return tables


def parse_ningxia(text):
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().startswith("第 8 章"))
    end = next(i for i, l in enumerate(lines) if l.strip().startswith("第 9 章"))
    tables = {}
    section = None
    for line in lines[start + 1:end]:
        s = line.strip()
        m = re.match(r"^(8\.\d+) ", s)
        if m:
            section = m.group(1)
            continue
        if section is None or not s:
            continue
        name, pattern = NINGXIA_SECTIONS[section]
        m = re.fullmatch(r"(%s) (\S+)" % pattern, s)
        if m:
            _add(tables, name, m.group(1), m.group(2))

    # Coded value lists printed inside 5.2 表2 (vehicle) and 表3 (access): "0—蓝牌；1—黄牌；..."
    flat = re.sub(r"\s+", "", text)
    def coded_list(after, table, stop):
        i = flat.index(after)
        body = flat[i + len(after):flat.index(stop, i + len(after))]
        for code, name in re.findall(r"([0-9A-Z])—([^；;]+)", body):
            _add(tables, table, code, name)
    coded_list("号牌颜色字符（1）", "ningxia.plate_color", "3车辆类型")
    coded_list("排放标准字符（1）", "ningxia.emission_standard", "9联网状态")
    coded_list("联网状态字符（1）", "ningxia.network_status", "10使用性质")
    coded_list("进出厂状态字符（1）", "ningxia.access_state", "4进厂")
    # 7.4 执行结果: "<code> <message> [note]" rows between its header and chapter 8
    i = next(k for k, l in enumerate(lines) if l.strip() == "返回编号 返回信息 备注")
    for line in lines[i + 1:start]:
        m = re.match(r"^(\d+) (\S+)", line.strip())
        if m:
            _add(tables, "ningxia.result_code", m.group(1), m.group(2))
    return tables


def apply_fixes(tables):
    for table, code, name, new_code, new_name, _why in FIXES:
        t = tables[table]
        if t.get(code) != name:
            raise SystemExit("fix %s %s %s no longer matches the spec text" % (table, code, name))
        del t[code]
        t[new_code] = new_name
    return tables


def extract():
    tables = parse_yunnan(YUNNAN.read_text(encoding="utf-8"))
    tables.update(parse_ningxia(NINGXIA.read_text(encoding="utf-8")))
    return apply_fixes(tables)


def _key(code):
    return (len(code), code) if code.isdigit() else (0, code)


def render(tables):
    out = ['"""Code tables of the Yunnan appendix 7.1-7.10 and the Ningxia data dictionary (chapter 8).',
           "",
           "GENERATED by tools/extract_codes.py from /work/shared/seeds - do not edit by hand;",
           "fix the extractor (or its FIXES) and re-run it. Plain dicts: imports under MicroPython.",
           '"""', "",
           "# Obvious typos corrected from the printed text: (table, printed code, printed name,",
           "# code, name, why). Everything else is exactly as printed.",
           "FIXES = ["]
    for f in FIXES:
        out.append("    (%s)," % ", ".join(repr(x) for x in f))
    out += ["]", "", "TABLES = {"]
    for name in sorted(tables):
        out.append("    %r: {  # %d codes" % (name, len(tables[name])))
        for code in sorted(tables[name], key=_key):
            out.append("        %r: %r," % (code, tables[name][code]))
        out.append("    },")
    out += ["}", ""]
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = render(extract())
    if "--check" in argv:
        if OUT.read_text(encoding="utf-8") != text:
            print("%s is stale: run python -m tools.extract_codes" % OUT)
            return 1
        print("%s is up to date" % OUT)
        return 0
    OUT.write_text(text, encoding="utf-8")
    print("wrote %s" % OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
