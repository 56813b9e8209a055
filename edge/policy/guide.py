"""The default alert table: the lowest emission standard a heavy transport truck needs to pass the
gate while a heavy-pollution alert is in force, per performance level (绩效分级, Yunnan 7.10).

Source: 《重污染天气重点行业应急减排措施制定技术指南（2020年修订版）》, 生态环境部
环办大气函〔2020〕340号 (the guide). Its text is not in our reference library, so every line
below cites where the part we use is quoted, and says what we derived rather than read:

1. The guide grades "运输方式" (transport) per level. For cement it reads (quoted at
   olympiacleaningservice.com/news/content/96730516421205001.html): A级 "物料…公路运输全部
   使用达到国五及以上排放标准重型载货车辆（含燃气）或新能源车辆", 厂内运输车辆 likewise;
   B级 the same for "比例不低于80%，其他达到国四排放标准"; C级 "…比例不低于50%".
2. Under an alert the guide lets the best-graded firms go on: "A级企业在重污染期间可不采取减排
   措施 … C级是环境污染影响较大、重污染期间优先停产的企业" (yejinzb.com/news/show-49450.html).
3. The transport measure the alert plans carry over from the guide, at orange (II级) and above:
   "涉及大宗物料运输 … 的企业，停止使用国四及以下排放标准重型载货车辆（含燃气）运输（特种
   车辆、危险化学品车辆等除外）" (绵阳 橙色预警, jwbk.com/news/0fbcdc7101735db9aceeb4a994434c79.html;
   唐山 II级, tangshanhaigang.com/article/article_2648.html; 石家庄 II级,
   ciceia.org.cn/xinwendongtai/10916.html; 滨州: "重点行业按照《重污染天气重点行业应急减排措施
   制定技术指南》中确定的重型柴油车管控措施", bjweather.com/tqchangshi/51708.html).
4. At red (I级) plans keep "国五及以上排放标准车辆进行必要的货物运输" (广州 I级,
   xincheping.com/news/136351.html); the strictest let only 国六 in ("不得允许运输车辆进出厂
   (…达到国六及以上排放标准的车辆除外)", wxredian.com/art?id=aaa3c308148b12c05d949bf2f5fa7c5f).

Derived table (min standard; "" = no alert restriction; columns yellow / orange / red):

    引领性 LE, A   ""  ""  5   A firm's own trucks are 国五+ (1) and it may keep working (2); at
                               red every level refuses a 国四-or-older heavy truck (3, 4).
    B             ""  5   5   up to 20 % 国四 trucks serve a B firm (1): refused from orange (3).
    B-, C, 非引领性 NL  5  5  5   50 % 国五+ only (1), first to cut back (2): refused from yellow.
    D, 未定级 X    5   5   6   below C, or not graded: treated as the worst grade; only 国六 and
                               new-energy trucks at red (4). A site without [enterprise] is X.

The rows apply to heavy transport vehicles ("重型载货车辆": Yunnan 7.1 H1x trucks, Q1x
tractors) of every combustion fuel ("含燃气": diesel, gas, petrol alike); electric, hydrogen and
solar (7.5 C, P, N) and emission code D (电动) are exempt, and an unknown standard (X) counts as
below every minimum. `[policy] min_standard` replaces rows or adds rows for one fuel.
"""

# alert level 1 yellow, 2 orange, 3 red -> index 0, 1, 2
DEFAULT_MIN_STANDARD = {
    "LE": ("", "", "5"),
    "A": ("", "", "5"),
    "B": ("", "5", "5"),
    "B-": ("5", "5", "5"),
    "C": ("5", "5", "5"),
    "NL": ("5", "5", "5"),
    "D": ("5", "5", "6"),
    "X": ("5", "5", "6"),
}

# What a level may be called in [enterprise] performanceLevel besides its 7.10 code.
LEVEL_ALIASES = {"引领性": "LE", "引领性企业": "LE", "非引领性": "NL", "非引领性企业": "NL",
                 "未定级": "X", "A级": "A", "B级": "B", "B-级": "B-", "C级": "C", "D级": "D"}

ALERT_NAMES = {1: "黄色预警", 2: "橙色预警", 3: "红色预警"}
RESPONSE_NAMES = {"1": "I级响应", "2": "II级响应", "3": "III级响应"}


def performance_level(value):
    """The 7.10 code of a performance level ('A', 'LE', '引领性'…); None/'' -> 'X' (未定级)."""
    v = str(value or "").strip()
    if not v:
        return "X"
    v = LEVEL_ALIASES.get(v, v).upper()
    if v not in DEFAULT_MIN_STANDARD:
        raise ValueError("performance level '%s' is not a 7.10 code (%s)" % (value, ", ".join(sorted(DEFAULT_MIN_STANDARD))))
    return v
