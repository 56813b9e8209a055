"""What the display shows and the voice says, in the words of the code tables (国五, 柴油, 黄牌).

HJ 1321 software function 8 (信息提示) asks the lane display for: 管控状态, 车牌号码, 排放标准,
通行/禁行, 进出时间, 禁行原因; Ningxia 4.5.1 (4) adds 燃料类型, and 4.4.3 wants the voice to
say what the display shows. Lines are short (≤ 16 characters where the data allows) so a
4-line LED panel pages through them; the display driver decides how to lay them out.
"""
from edge.domain.codes import TABLES, plate_color_code

# The short fuel word a guard says: "国四柴油车", "国五燃气车".
_FUEL_SHORT = {"B": "柴油", "A": "汽油", "E": "燃气", "F": "燃气", "C": "电动", "P": "氢能"}


def color_name(color):
    try:
        return TABLES["yunnan.plate_color"][plate_color_code(color)]
    except (ValueError, KeyError, TypeError):
        return ""


def standard_name(code):
    if code is None:
        return "排放标准未知"
    name = TABLES["yunnan.emission_standard"].get(code)
    return name or "排放标准未知"


def fuel_name(code):
    name = TABLES["yunnan.fuel_type"].get(code or "")
    if not name:
        return ""
    return name.split("(")[0]


def vehicle_words(std, fuel):
    """'国四柴油车', '排放标准未知车辆'."""
    if std is None or std == "X":
        return "排放标准未知车辆"
    if std == "D":
        return "电动车"
    return standard_name(std) + _FUEL_SHORT.get(fuel or "", "") + "车"


def display_lines(control, plate, color, std, fuel, registered, direction, now, manual, allowed, reason, shown):
    plate_line = plate + (" " + color_name(color) if color_name(color) else "")
    if manual:
        plate_line += " 人工录入"
    if registered or std is not None:
        facts_line = (standard_name(std) + " " + fuel_name(fuel)).strip()
    else:
        facts_line = "未登记"
    lines = [control, plate_line, facts_line,
             ("进厂 " if direction == "in" else "出厂 ") + now[5:16],
             "允许通行" if allowed else "禁止通行"]
    if reason and reason not in lines:
        lines.append(reason)
    return lines + list(shown)


def voice_text(plate, std, fuel, registered, allowed, code, reason, shown):
    parts = [plate]
    if allowed:
        if registered and std is not None:
            parts.append((standard_name(std) + fuel_name(fuel)))
        if code not in ("allowed",):
            parts.append(reason)
        parts.append("允许通行")
    else:
        parts.append(reason)
        if "禁止" not in reason:
            parts.append("禁止通行")
        parts.append("请到门卫登记" if code == "unregistered" else "请联系门卫")
    return "，".join(p for p in parts if p) + "。" + "".join(s + "。" for s in shown)
