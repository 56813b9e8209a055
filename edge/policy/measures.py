"""Read a control strategy's `controlMeasures` (Yunnan 6.7, free text) into rules the gate enforces.

    parse(text, level=None) -> {"rules": [rule, ...], "notes": [text, ...], "inactive": [text, ...]}
    rule = {"windows": [[start, end], ...] | None,     minutes of day, end < start runs over midnight;
                                                       None: the strategy's whole span
            "standards": ["0", ..., "4", "X"] | None,  emission codes (7.7) refused; None: any
            "fuels": ["B", ...] | None,                fuel codes (7.5) refused; None: any
            "classes": ["H1", "Q1"] | None,            vehicle type prefixes (7.1); None: any
            "text": the clause it was read from}

The text is cut into clauses at 。；; ！ and line ends, then at commas, a clause without a verb
joining the clause with the verb ("凌晨12点至早上7点，禁止进出"). A clause becomes a rule only
when every word in it is understood: times, emission standards ("国四及以下", "国Ⅳ", "低于国五",
"国三、国四"), fuels ("柴油", "燃气", "(含燃气)"), weight classes ("重型", "中型"), a verb ("禁止",
"停止", "不得", "限行", "仅允许…"), and filler ("该企业", "车辆", "进出", "时间段"). Anything else
("渣土车", "非道路移动机械", a date, "一刻") makes the whole clause a note, shown to the guard and
the driver and never guessed at. Exceptions ("（特种车辆、危化品车辆等除外）", "除…外") are
split off as notes; the rest of the clause is enforced, and the guard lifts by hand for an
exempt vehicle (recorded as manual).

"仅允许/只允许 … 通行" reads as its complement: forbidden outside those hours, or below that
standard. A clause naming an alert colour ("橙色及以上预警期间…") applies only at those levels:
with `level` given (1 yellow, 2 orange, 3 red) the others go to `inactive`, neither enforced nor
shown as unread.

Times understood: "22:00-06:00", "6:00～22:00", "22时至次日6时", "凌晨12点至早上7点",
"晚上十点到次日早上六点", "下午3点半至5点", "22点30分至24点", "22点以后", "早上7点前",
full-width digits and colons, 至/到/-/～/~/—, several windows in one clause ("0:00-6:00、
22:00-24:00"). "12点至7点" with no 凌晨/中午 is ambiguous and becomes a note.
Pure and MicroPython-safe (no re): a small scanner over the text.
"""
_ASCII_DIGITS = "0123456789"
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_SENTENCE = ";!。\n\r"
_PUNCT = ",、()[]【】:-~/\"'“”‘’《》.·"
_DASHES = "‐‑‒–—―−﹣"
_TILDES = "〜∼"
_SPACES = " \t\u3000\xa0"

# Day-part words before an hour, longest first within each group.
_DAY_AFTER = ("次日", "第二天", "翌日", "隔日", "当日", "当天")
_DAYPARTS = ("凌晨", "清晨", "早上", "早晨", "上午", "中午", "下午", "傍晚", "晚上", "夜间", "夜里", "夜晚",
             "晚间", "深夜", "早", "晚")
_RANGE_SEPS = ("至", "到", "-", "~")
_AFTER = ("以后", "之后", "后", "起")
_BEFORE = ("以前", "之前", "前")

# The words a clause may hold: verbs, fuels and classes (with what they select), and filler.
_FORBID = ("管控时段", "限行时段", "禁行时段", "禁止", "严禁", "停止", "不得", "不允许", "不准", "不可以", "不可",
           "不能", "禁行", "限行", "限制", "暂停", "管控")
_ONLY = ("仅允许", "只允许", "仅限", "只限", "仅", "只")
_ALLOW = ("允许", "准许", "方可", "可以", "可")
_FUEL_WORDS = {"柴油车": ("B",), "柴油": ("B",), "汽油": ("A",), "燃油": ("A", "B", "D"),
               "液化天然气": ("E",), "天然气": ("E",), "LNG": ("E",), "CNG": ("E",),
               "液化石油气": ("F",), "燃气车": ("E", "F"), "燃气": ("E", "F")}
_CLASS_WORDS = {"中重型": ("H1", "Q1", "H2", "Q2"), "重型": ("H1", "Q1"), "中型": ("H2", "Q2"),
                "轻型": ("H3", "Q3"), "微型": ("H4",)}
_FILLER = ("管控措施", "重污染天气", "应急响应期间", "响应期间", "预警期间",
           "期间", "进出厂区", "进出厂", "进入厂区", "进出", "进厂", "出厂", "入厂", "进入", "出入", "通行",
           "行驶", "上路", "物料运输", "公路运输", "运输", "使用", "进行", "该企业", "本企业", "企业", "厂区",
           "本厂", "全厂", "载货车辆", "载货汽车", "货运车辆", "运输车辆", "机动车", "大货车", "车辆", "汽车",
           "货车", "卡车", "载货", "货运", "车", "所有", "全部", "一律", "任何", "各类", "一切", "全天",
           "24小时", "每日", "每天", "时间段", "时段", "时间", "之间", "其间", "开始", "为止", "结束", "从",
           "自", "起", "止", "内", "排放标准", "排放", "标准", "以及", "的", "和", "及", "与", "或", "等",
           "在", "于", "对", "实行", "实施")
_ALERTS = (("黄色", 1), ("橙色", 2), ("红色", 3))
_ROMAN = (("VI", 6), ("IV", 4), ("V", 5), ("III", 3), ("II", 2), ("I", 1))
_ROMAN_CHARS = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "Ⅵ": 6}
_STD_QUALIFIERS = (("(不含)以下", "lt"), ("以下(不含)", "lt"), ("(含)以下", "le"), ("以下(含)", "le"),
                   ("及以下", "le"), ("以下", "le"), ("及以前", "le"), ("以前", "le"),
                   ("(含)以上", "ge"), ("及以上", "ge"), ("以上", "ge"))
_STD_BEFORE = (("不低于", "ge"), ("不高于", "le"), ("低于", "lt"), ("高于", "gt"))
ALL_STANDARDS = ("0", "1", "2", "3", "4", "5", "6")


def normalize(text):
    """Full-width forms to ASCII, every dash to '-', every wave to '~', spaces dropped."""
    out = []
    for ch in str(text or ""):
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            ch = chr(o - 0xFEE0)
        elif ch in _DASHES:
            ch = "-"
        elif ch in _TILDES:
            ch = "~"
        if ch in _SPACES:
            continue
        out.append(ch)
    return "".join(out)


def _content(s, extra=""):
    """True if s has a character that is not punctuation (str.strip with non-ASCII characters
    fails under MicroPython)."""
    for ch in s:
        if ch not in _PUNCT and ch not in extra:
            return True
    return False


def _split(text, seps):
    parts, cur = [], []
    for ch in text:
        if ch in seps:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in parts if _content(p)]


def _starts(s, i, words):
    for w in words:
        if s.startswith(w, i):
            return w
    return None


# ------------------------------------------------------------------ numbers and times

def _read_number(s, i):
    """(value, next index) of an hour/minute number at s[i] (1-2 ASCII digits or Chinese), or None."""
    if i < len(s) and s[i] in _ASCII_DIGITS:
        if i > 0 and s[i - 1] in _ASCII_DIGITS:
            return None
        j = i
        while j < len(s) and s[j] in _ASCII_DIGITS:
            j += 1
        if j - i > 2:
            return None
        return int(s[i:j]), j
    j = i
    while j < len(s) and (s[j] in _CN_DIGITS or s[j] == "十") and j - i < 3:
        j += 1
    if j == i:
        return None
    return _cn_value(s[i:j]), j


def _cn_value(w):
    if "十" not in w:
        return _CN_DIGITS[w[0]] if len(w) == 1 else None
    head, _, tail = w.partition("十")
    if len(head) > 1 or len(tail) > 1 or "十" in tail:
        return None
    tens = _CN_DIGITS[head] if head else 1
    return tens * 10 + (_CN_DIGITS[tail] if tail else 0)


def _read_time(s, i):
    """A time of day at s[i]: (hour, minute, daypart or None, after_day, next index) or None."""
    j = i
    after_day = False
    w = _starts(s, j, _DAY_AFTER)
    if w:
        after_day = w not in ("当日", "当天")
        j += len(w)
    part = _starts(s, j, _DAYPARTS)
    if part:
        j += len(part)
    got = _read_number(s, j)
    if got is None or got[0] is None:
        return None
    hour, j = got
    minute = 0
    if s.startswith(":", j):
        if not (j + 2 < len(s) and s[j + 1] in _ASCII_DIGITS and s[j + 2] in _ASCII_DIGITS):
            return None
        minute = int(s[j + 1:j + 3])
        j += 3
        if s.startswith(":", j) and j + 2 < len(s) and s[j + 1] in _ASCII_DIGITS and s[j + 2] in _ASCII_DIGITS:
            j += 3                                          # seconds, always :00 in practice
    elif j < len(s) and s[j] in "点时":
        j += 1
        if s.startswith("半", j):
            minute, j = 30, j + 1
        elif s.startswith("整", j):
            j += 1
        else:
            got = _read_number(s, j)
            if got is not None and got[0] is not None:
                minute, k = got
                if s.startswith("分", k):
                    k += 1
                elif s[j] not in _ASCII_DIGITS:     # "7点三" is not a time; "7点30" is
                    return None
                j = k
    else:
        return None
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    return hour, minute, part, after_day, j


def _clock(hour, minute, part, is_end):
    """Minutes of day for an hour said with a day-part word ('晚上10点' = 22:00, '凌晨12点' = 0:00)."""
    h = hour
    if part in ("凌晨",):
        h = 0 if hour == 12 else hour
    elif part in ("中午",):
        h = hour + 12 if 1 <= hour <= 3 else hour
    elif part in ("下午", "傍晚"):
        h = hour + 12 if hour < 12 else hour
    elif part in ("晚上", "夜间", "夜里", "夜晚", "晚间", "深夜", "晚"):
        if hour == 12:
            h = 24
        elif 6 <= hour < 12:
            h = hour + 12
    if h > 24:
        return None
    m = h * 60 + minute
    if m == 1440 and not is_end:
        m = 0
    if m == 0 and is_end:
        m = 1440
    return m


class _Unclear(Exception):
    pass


def _take_windows(s):
    """Cut the time windows out of s -> (windows, rest). _Unclear for an ambiguous range."""
    windows = []
    out = []
    i = 0
    while i < len(s):
        t = _read_time(s, i)
        if t is None:
            out.append(s[i])
            i += 1
            continue
        h1, m1, p1, _, j = t
        k = j
        w = _starts(s, k, ("起", "开始"))
        if w:
            k += len(w)
        sep = _starts(s, k, _RANGE_SEPS)
        t2 = None
        if sep:
            k += len(sep)
            while s.startswith("-", k):
                k += 1
            t2 = _read_time(s, k)
        if t2 is not None:
            h2, m2, p2, _, j2 = t2
            if p2 is None and p1 is not None and h1 < h2 <= 12:
                p2 = p1                                # "晚上10点至12点": both in the evening
            if p1 is None and p2 is None and h1 == 12 and 0 < h2 < 12:
                raise _Unclear()                       # "12点至7点": midnight or noon?
            start, end = _clock(h1, m1, p1, False), _clock(h2, m2, p2, True)
            if start is None or end is None or start == end:
                raise _Unclear()
            windows.append([start, end])
            out.append(",")
            i = j2
            continue
        after = _starts(s, j, _AFTER)
        before = None if after else _starts(s, j, _BEFORE)
        if after or before:
            m = _clock(h1, m1, p1, bool(before))
            if m is None:
                raise _Unclear()
            windows.append([m, 1440] if after else [0, m])
            out.append(",")
            i = j + len(after or before)
            continue
        out.append(s[i])       # a lone time: left in the text, so the clause is not understood
        i += 1
    return windows, "".join(out)


# ------------------------------------------------------------------ emission standards

def _take_standards(s):
    """Cut '国四及以下', '国Ⅲ、国Ⅳ', '低于国五' out of s -> ([(code int, relation)], rest)."""
    items = []
    out = []
    i = 0
    while i < len(s):
        if s[i] != "国":
            out.append(s[i])
            i += 1
            continue
        j = i + 1
        n = None
        if j < len(s) and s[j] in "0123456":
            n, j = int(s[j]), j + 1
        elif j < len(s) and s[j] in "零一二三四五六":
            n, j = _CN_DIGITS[s[j]], j + 1
        elif j < len(s) and s[j] in _ROMAN_CHARS:
            n, j = _ROMAN_CHARS[s[j]], j + 1
        else:
            for word, v in _ROMAN:
                if s.startswith(word, j) or s.startswith(word.lower(), j):
                    n, j = v, j + len(word)
                    break
        if n is None:
            out.append(s[i])
            i += 1
            continue
        rel = "eq"
        for before, r in _STD_BEFORE:
            if "".join(out).endswith(before):
                del out[len(out) - len(before):]
                rel = r
                break
        w = _starts(s, j, ("排放标准", "排放", "标准"))
        if w:
            j += len(w)
        if rel == "eq":
            for word, r in _STD_QUALIFIERS:
                if s.startswith(word, j):
                    rel, j = r, j + len(word)
                    break
        w = _starts(s, j, ("排放标准", "排放", "标准"))
        if w:
            j += len(w)
        items.append((n, rel))
        out.append(",")
        i = j
    return items, "".join(out)


def _standards_of(items):
    codes = set()
    for n, rel in items:
        for v in range(7):
            if (rel == "eq" and v == n or rel == "le" and v <= n or rel == "lt" and v < n
                    or rel == "ge" and v >= n or rel == "gt" and v > n):
                codes.add(str(v))
    return codes


# ------------------------------------------------------------------ clauses

def _units(text):
    """Clauses, each with its verb: a clause without one joins the next that has one."""
    units = []
    for sentence in _split(text, _SENTENCE):
        pending = []
        first = len(units)
        for clause in _split(sentence, ","):
            pending.append(clause)
            if _verb_in(clause):
                units.append(",".join(pending))
                pending = []
        if pending:
            if len(units) > first:
                units[-1] = units[-1] + "," + ",".join(pending)
            else:
                units.append(",".join(pending))
    return units


def _verb_in(clause):
    for w in _FORBID + _ONLY + _ALLOW:
        if w in clause:
            return True
    return False


def _split_exceptions(unit):
    """(unit without its exception clauses, [exception texts])."""
    notes = []
    # parenthesised exceptions: "（特种车辆、危化品车辆等除外）"
    out, i = [], 0
    while i < len(unit):
        if unit[i] == "(":
            j = unit.find(")", i)
            if j > 0 and "除" in unit[i:j]:
                notes.append(unit[i + 1:j])
                out.append(",")
                i = j + 1
                continue
        out.append(unit[i])
        i += 1
    rest = []
    for clause in _split("".join(out), ","):
        if "除外" in clause:
            if _verb_in(clause):
                raise _Unclear()            # "禁止…特种车辆除外": the exception's scope is unclear
            notes.append(clause)
            continue
        k = clause.find("除")
        if k >= 0:
            e = clause.find("外", k)
            if e < 0:
                raise _Unclear()
            notes.append(clause[k:e + 1])
            clause = clause[:k] + "," + clause[e + 1:]
        rest.append(clause)
    return ",".join(rest), notes


def _take_alert_levels(s):
    """'橙色及以上预警期间' -> ({2, 3}, rest)."""
    levels = set()
    for word, level in _ALERTS:
        k = s.find(word)
        while k >= 0:
            j = k + len(word)
            up = _starts(s, j, ("及以上", "以上"))
            if up:
                j += len(up)
            if s.startswith("预警", j):
                levels.update(range(level, 4) if up else (level,))
                s = s[:k] + "," + s[j + 2:]
                k = s.find(word, k)
            else:
                k = s.find(word, j)              # "红色车辆": not an alert; left for the reader to refuse
    return levels, s


def _read_unit(unit):
    """A clause -> (rules, alert levels); _Unclear if any word in it is not understood."""
    levels, s = _take_alert_levels(unit)
    windows, s = _take_windows(s)
    stds, s = _take_standards(s)
    found = {}
    vocab = _FORBID + _ONLY + _ALLOW + tuple(_FUEL_WORDS) + tuple(_CLASS_WORDS) + ("含燃气",) + _FILLER
    for w in sorted(vocab, key=lambda x: -len(x)):
        if w in s:
            found[w] = True
            s = s.replace(w, ",")
    if _content(s, "含"):
        raise _Unclear()
    forbid = any(w in found for w in _FORBID)
    only = any(w in found for w in _ONLY)
    allow = any(w in found for w in _ALLOW)
    if forbid == (only or allow):            # no verb, or both kinds
        raise _Unclear()
    if allow and not only and not forbid:
        raise _Unclear()                     # "国五车辆可以通行": says nothing about the others
    fuels = set()
    for w, codes in _FUEL_WORDS.items():
        if w in found:
            fuels.update(codes)
    if fuels and "含燃气" in found:
        fuels.update(("E", "F"))
    classes = set()
    for w, codes in _CLASS_WORDS.items():
        if w in found:
            classes.update(codes)
    base = {"fuels": sorted(fuels) if fuels else None, "classes": sorted(classes) if classes else None,
            "text": unit}
    forbidden_std = _standards_of(stds)
    rules = []
    if forbid:
        if stds and any(rel in ("le", "lt") for _, rel in stds):
            forbidden_std.add("X")           # "国四及以下" includes a vehicle that cannot show its standard
        rules.append(_rule(base, windows or None, sorted(forbidden_std) if stds else None))
    else:                                    # only allowed: forbid the complement
        if not windows and not stds:
            raise _Unclear()
        if windows:
            rules.append(_rule(base, _complement(windows), None))
        if stds:
            rest = [c for c in ALL_STANDARDS if c not in forbidden_std] + ["X"]
            rules.append(_rule(base, None, rest))
    return rules, levels


def _rule(base, windows, standards):
    r = dict(base)
    r["windows"] = windows
    r["standards"] = standards
    return r


def _complement(windows):
    covered = bytearray(1440)
    for start, end in windows:
        spans = [(start, end)] if start < end else [(start, 1440), (0, end)]
        for a, b in spans:
            for m in range(a, b):
                covered[m] = 1
    runs, m = [], 0
    while m < 1440:
        if covered[m]:
            m += 1
            continue
        a = m
        while m < 1440 and not covered[m]:
            m += 1
        runs.append([a, m])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == 1440:
        runs = [[runs[-1][0], runs[0][1]]] + runs[1:-1]
    return runs


def parse(text, level=None):
    """Rules and notes of a controlMeasures text (see the module docstring)."""
    rules, notes, inactive = [], [], []
    for unit in _units(normalize(text)):
        try:
            core, exceptions = _split_exceptions(unit)
            unit_rules, levels = _read_unit(core)
        except _Unclear:
            notes.append(unit)
            continue
        if levels and level is not None and int(level) not in levels:
            inactive.append(unit)
            continue
        for r in unit_rules:
            r["text"] = unit
        rules.extend(unit_rules)
        notes.extend(exceptions)
    return {"rules": rules, "notes": notes, "inactive": inactive}


def parse_local(text):
    """A `[policy] forbidden` entry: the same language, "禁止" understood when no verb is given
    ("22:00-06:00" forbids every transport vehicle then)."""
    s = normalize(text)
    if not _verb_in(s):
        s = "禁止" + s
    return parse(s)

