"""The gate decision's case table, shared by tests/policy/test_policy_decide.py (CPython) and
tests/micropython/check_policy.py (the real micropython binary), so both runtimes are held to
the same expectations. Plain data and dicts only: this file imports under MicroPython.

Each case: (name, facts changes, [policy] rules as a dict, expected) where expected holds
decision keys (allowed, code, reason, control, display, voice) compared exactly, plus
"notes_has" / "display_has" / "voice_has": texts that must be among the notes / display lines /
inside the voice text.
"""

NOW = "2025-08-20 08:30:45"

TRUCK = {  # the yellow 国五 diesel heavy truck of the demo
    "vehicleId": "91530100MA6K5XYZ1P001V00001", "enterpriseId": "91530100MA6K5XYZ1P001V",
    "licensePlate": "云A12345", "plateColor": "1", "vehicleUse": "1", "vin": "LFWSRXSJ5M1A12345",
    "vehicleType": "H11", "vehicleBrand": "解放", "vehicleModel": "J6P", "fuelType": "B",
    "emissionStandard": "5", "useType": "F", "fleetName": "自有", "registrationDate": "20220620",
    "networkStatus": "1",
}


def truck(**changes):
    v = dict(TRUCK)
    v.update(changes)
    return v


def strategy(level, response, measures="", start="2025-08-04 09:00:00", end="2025-09-19 22:00:00", sid="S1"):
    return {"strategyId": sid, "strategyName": "重污染天气应急", "startdate": start, "enddate": end,
            "pollutionLevel": level, "strategyLevel": response, "controlMeasures": measures}


RED = strategy("3", "1")
ORANGE = strategy("2", "2")
YELLOW = strategy("1", "3")
RED_NIGHT = strategy("3", "1", "禁止该企业凌晨 12 点至早上 7 点时间段进出")        # the spec's 6.7 example
EXCEED = {"recordId": "EV001", "licensePlate": "云 A12345", "plateColor": "1", "vin": "LFWSRXSJ5M1A12345",
          "fuelType": "B", "emissionStandard": "04", "exceedlistReason": "1", "isRemove": "0",
          "sendTime": "2025-07-04"}


def base():
    return {"plate": "云A12345", "color": "yellow", "now": NOW, "direction": "in", "manual": False,
            "vehicle": dict(TRUCK), "ledger_note": None, "exceed": None, "exceed_cleared": False,
            "strategies": [], "performance_level": "B", "cache_age_s": 60.0, "alarms": []}


G4 = truck(emissionStandard="4")

CASES = [
    # --- the five demo vehicles
    ("demo_allowed_guo5", {}, {},
     {"allowed": True, "code": "allowed", "reason": "允许通行", "control": "无管控",
      "display": ["无管控", "云A12345 黄牌", "国五 柴油", "进厂 08-20 08:30", "允许通行"],
      "voice": "云A12345，国五柴油，允许通行。"}),
    ("demo_exceed", {"exceed": EXCEED}, {},
     {"allowed": False, "code": "exceed", "reason": "超标车辆",
      "display": ["无管控", "云A12345 黄牌", "国五 柴油", "进厂 08-20 08:30", "禁止通行", "超标车辆"],
      "voice": "云A12345，超标车辆，禁止通行，请联系门卫。"}),
    ("demo_red_guo4", {"vehicle": G4, "strategies": [RED]}, {},
     {"allowed": False, "code": "alert", "reason": "红色预警 国四柴油车禁止通行", "control": "红色预警 I级响应",
      "display": ["红色预警 I级响应", "云A12345 黄牌", "国四 柴油", "进厂 08-20 08:30", "禁止通行",
                  "红色预警 国四柴油车禁止通行"],
      "voice": "云A12345，红色预警 国四柴油车禁止通行，请联系门卫。"}),
    ("demo_unregistered", {"plate": "云A99999", "vehicle": None}, {},
     {"allowed": False, "code": "unregistered", "reason": "未登记车辆",
      "display": ["无管控", "云A99999 黄牌", "未登记", "进厂 08-20 08:30", "禁止通行", "未登记车辆"],
      "voice": "云A99999，未登记车辆，禁止通行，请到门卫登记。"}),
    ("demo_manual_entry", {"manual": True}, {},
     {"allowed": True, "code": "allowed",
      "display": ["无管控", "云A12345 黄牌 人工录入", "国五 柴油", "进厂 08-20 08:30", "允许通行"],
      "notes_has": ["人工录入"]}),
    # --- exceed list and its verification (6.6 / 6.14)
    ("exceed_cleared_by_verification", {"exceed": EXCEED, "exceed_cleared": True}, {},
     {"allowed": True, "code": "allowed", "notes_has": ["超标记录已核实为不超标"]}),
    ("exceed_colour_differs_is_noted", {"exceed": dict(EXCEED, plateColor="0")}, {},
     {"allowed": False, "code": "exceed", "notes_has": ["超标名单为蓝牌，识别为黄牌"]}),
    ("exceed_before_unregistered", {"vehicle": None, "exceed": EXCEED}, {},
     {"allowed": False, "code": "exceed", "display_has": ["国四 柴油"]}),
    # --- unregistered vehicles
    ("unregistered_allowed_by_config", {"vehicle": None}, {"unregistered": "allow"},
     {"allowed": True, "code": "unregistered_allowed", "reason": "未登记车辆",
      "voice": "云A12345，未登记车辆，允许通行。"}),
    ("unregistered_allowed_but_red_alert", {"vehicle": None, "strategies": [RED]}, {"unregistered": "allow"},
     {"allowed": False, "code": "alert", "reason": "红色预警 排放标准未知车辆禁止通行"}),
    # --- the default alert table per performance level
    ("red_guo4_level_A", {"vehicle": G4, "strategies": [RED], "performance_level": "A"}, {},
     {"allowed": False, "code": "alert"}),
    ("red_guo4_level_LE_by_name", {"vehicle": G4, "strategies": [RED], "performance_level": "引领性"}, {},
     {"allowed": False, "code": "alert"}),
    ("red_guo5_level_A", {"strategies": [RED], "performance_level": "A"}, {},
     {"allowed": True, "code": "allowed", "control": "红色预警 I级响应"}),
    ("red_guo5_level_D", {"strategies": [RED], "performance_level": "D"}, {},
     {"allowed": False, "code": "alert", "reason": "红色预警 国五柴油车禁止通行"}),
    ("red_guo6_level_D", {"vehicle": truck(emissionStandard="6"), "strategies": [RED], "performance_level": "D"}, {},
     {"allowed": True, "code": "allowed"}),
    ("red_guo5_no_level_is_ungraded", {"strategies": [RED], "performance_level": None}, {},
     {"allowed": False, "code": "alert"}),
    ("orange_guo4_level_B", {"vehicle": G4, "strategies": [ORANGE]}, {},
     {"allowed": False, "code": "alert", "reason": "橙色预警 国四柴油车禁止通行", "control": "橙色预警 II级响应"}),
    ("orange_guo4_level_A", {"vehicle": G4, "strategies": [ORANGE], "performance_level": "A"}, {},
     {"allowed": True, "code": "allowed"}),
    ("yellow_guo4_level_B", {"vehicle": G4, "strategies": [YELLOW]}, {},
     {"allowed": True, "code": "allowed", "control": "黄色预警 III级响应"}),
    ("yellow_guo4_level_C", {"vehicle": G4, "strategies": [YELLOW], "performance_level": "C"}, {},
     {"allowed": False, "code": "alert", "reason": "黄色预警 国四柴油车禁止通行"}),
    ("red_guo4_gas_truck", {"vehicle": truck(emissionStandard="4", fuelType="E"), "strategies": [RED]}, {},
     {"allowed": False, "code": "alert", "reason": "红色预警 国四燃气车禁止通行"}),
    ("red_electric_truck", {"vehicle": truck(emissionStandard="D", fuelType="C"), "strategies": [RED],
                            "performance_level": "D"}, {},
     {"allowed": True, "code": "allowed", "display_has": ["电动 电"]}),
    ("red_hydrogen_truck_exempt_fuel", {"vehicle": truck(emissionStandard="4", fuelType="P"),
                                        "strategies": [RED]}, {},
     {"allowed": True, "code": "allowed"}),
    ("red_guo4_light_truck_not_heavy", {"vehicle": truck(emissionStandard="4", vehicleType="H31"),
                                        "strategies": [RED]}, {},
     {"allowed": True, "code": "allowed"}),
    ("red_guo4_tractor_is_heavy", {"vehicle": truck(emissionStandard="4", vehicleType="Q11"),
                                   "strategies": [RED]}, {},
     {"allowed": False, "code": "alert"}),
    ("ledger_code_04_reads_as_guo4", {"vehicle": truck(emissionStandard="04"), "strategies": [RED]}, {},
     {"allowed": False, "code": "alert", "reason": "红色预警 国四柴油车禁止通行"}),
    ("response_level_I_means_red", {"vehicle": G4, "strategies": [strategy("1", "1")]}, {},
     {"allowed": False, "code": "alert", "reason": "红色预警 国四柴油车禁止通行"}),
    ("pollution_level_only_reading", {"vehicle": G4, "strategies": [strategy("1", "1")]},
     {"alert_level_from": "pollution"},
     {"allowed": True, "code": "allowed", "control": "黄色预警 I级响应"}),
    ("strictest_of_two_strategies", {"vehicle": G4, "strategies": [YELLOW, strategy("3", "1", sid="S2")]}, {},
     {"allowed": False, "code": "alert", "control": "红色预警 I级响应"}),
    ("strategy_not_in_force_is_ignored", {"vehicle": G4, "strategies": [
        strategy("3", "1", end="2025-08-19 22:00:00")]}, {},
     {"allowed": True, "code": "allowed", "control": "无管控"}),
    # --- controlMeasures free text
    ("measure_night_window_refuses", {"vehicle": truck(emissionStandard="6"), "strategies": [RED_NIGHT],
                                      "now": "2025-08-21 03:00:00"}, {},
     {"allowed": False, "code": "measure", "reason": "管控时段 00:00-07:00 禁止通行",
      "display_has": ["进厂 08-21 03:00"]}),
    ("measure_night_window_outside", {"strategies": [RED_NIGHT]}, {},
     {"allowed": True, "code": "allowed"}),
    ("measure_scope_without_level", {"vehicle": G4, "strategies": [
        strategy("", "", "国四及以下重型柴油货车禁止进出")]}, {},
     {"allowed": False, "code": "measure", "reason": "管控措施 国四柴油车禁止通行", "control": "管控中"}),
    ("measure_scope_with_exception_note", {"vehicle": G4, "performance_level": "A", "strategies": [
        strategy("2", "2", "停止使用国四及以下重型载货车辆（含燃气）进行运输（特种车辆、危化品车辆等除外）")]}, {},
     {"allowed": False, "code": "measure", "reason": "橙色预警 国四柴油车禁止通行",
      "display_has": ["管控措施：特种车辆、危化品车辆等除外"]}),
    ("measure_total_ban", {"strategies": [strategy("3", "1", "禁止所有车辆进出")], "performance_level": "A"}, {},
     {"allowed": False, "code": "measure", "reason": "红色预警 禁止通行"}),
    ("measure_unread_text_is_shown", {"strategies": [strategy("1", "3", "加强道路清扫保洁")]}, {},
     {"allowed": True, "code": "allowed", "display_has": ["管控措施：加强道路清扫保洁"],
      "voice_has": ["管控措施：加强道路清扫保洁"], "notes_has": ["管控措施：加强道路清扫保洁"]}),
    ("measure_for_other_level_inactive", {"strategies": [strategy("2", "2", "红色预警期间禁止国五车辆进出")],
                                          "performance_level": "A"}, {},
     {"allowed": True, "code": "allowed"}),
    ("measure_scope_spares_guo5", {"strategies": [strategy("", "", "国四及以下重型柴油货车禁止进出")]}, {},
     {"allowed": True, "code": "allowed"}),
    ("measure_scope_spares_gas", {"vehicle": truck(emissionStandard="4", fuelType="E"),
                                  "strategies": [strategy("", "", "国四及以下重型柴油货车禁止进出")]}, {},
     {"allowed": True, "code": "allowed"}),
    ("measure_scope_spares_light_truck", {"vehicle": truck(emissionStandard="4", vehicleType="H21"),
                                          "strategies": [strategy("", "", "国四及以下重型柴油货车禁止进出")]}, {},
     {"allowed": True, "code": "allowed"}),
    # --- local rules [policy]
    ("local_window_refuses", {"now": "2025-08-20 23:10:00"}, {"forbidden": ["22:00-06:00"]},
     {"allowed": False, "code": "local", "reason": "本厂禁行 22:00-06:00"}),
    ("local_window_outside", {}, {"forbidden": ["22:00-06:00"]},
     {"allowed": True, "code": "allowed"}),
    ("local_scope_rule", {"vehicle": truck(emissionStandard="3")}, {"forbidden": ["禁止国三及以下车辆进出"]},
     {"allowed": False, "code": "local", "reason": "本厂规定 国三柴油车禁止通行"}),
    ("min_standard_row_override", {"vehicle": G4, "strategies": [YELLOW]}, {"min_standard": {"B": ["5", "5", "5"]}},
     {"allowed": False, "code": "alert", "reason": "黄色预警 国四柴油车禁止通行"}),
    ("min_standard_fuel_row", {"vehicle": truck(fuelType="E"), "strategies": [YELLOW], "performance_level": "A"},
     {"min_standard": {"*:E": ["6", "6", "6"]}},
     {"allowed": False, "code": "alert", "reason": "黄色预警 国五燃气车禁止通行"}),
    ("min_standard_level_fuel_row_beats_fuel_row", {"vehicle": truck(fuelType="E"), "strategies": [YELLOW],
                                                    "performance_level": "A"},
     {"min_standard": {"*:E": ["6", "6", "6"], "A:E": ["", "", ""]}},
     {"allowed": True, "code": "allowed"}),
    ("exempt_fuel_configured", {"vehicle": truck(emissionStandard="4", fuelType="E"), "strategies": [RED]},
     {"exempt_fuels": ["C", "E"]},
     {"allowed": True, "code": "allowed"}),
    ("network_never_by_default", {"vehicle": truck(networkStatus="0")}, {},
     {"allowed": True, "code": "allowed"}),
    ("network_always", {"vehicle": truck(networkStatus="0")}, {"require_network": "always"},
     {"allowed": False, "code": "network", "reason": "车辆未联网"}),
    ("network_alert_without_alert", {"vehicle": truck(networkStatus="0")}, {"require_network": "alert"},
     {"allowed": True, "code": "allowed"}),
    ("network_alert_with_alert", {"vehicle": truck(networkStatus="0"), "strategies": [RED]},
     {"require_network": "alert"},
     {"allowed": False, "code": "network"}),
    # --- whitelist, in-plant vehicles
    ("whitelist_police_plate", {"plate": "云A1234警", "vehicle": None, "strategies": [RED]}, {},
     {"allowed": True, "code": "whitelist", "reason": "白名单车辆"}),
    ("whitelist_fire_use_type_beats_exceed", {"vehicle": truck(useType="I"), "exceed": EXCEED}, {},
     {"allowed": True, "code": "whitelist"}),
    ("whitelist_own_pattern", {"plate": "云A0001X", "vehicle": None}, {"whitelist": ["云A000?X"]},
     {"allowed": True, "code": "whitelist"}),
    ("in_plant_ledger_vehicle", {"vehicle": truck(vehicleUse="2", emissionStandard="4"), "strategies": [RED]}, {},
     {"allowed": True, "code": "in_plant", "reason": "厂内车辆"}),
    ("in_plant_checked_by_config", {"vehicle": truck(vehicleUse="2", emissionStandard="4"), "strategies": [RED]},
     {"in_plant": "check"},
     {"allowed": False, "code": "alert"}),
    ("in_plant_listed_plate", {"plate": "厂内01", "vehicle": None}, {"in_plant_plates": ["厂内*"]},
     {"allowed": True, "code": "in_plant"}),
    ("in_plant_listed_plate_checked", {"plate": "厂内01", "vehicle": None}, {"in_plant_plates": ["厂内*"],
                                                                           "in_plant": "check"},
     {"allowed": True, "code": "allowed"}),
    # --- direction, manual entry
    ("exit_not_checked", {"direction": "out", "exceed": EXCEED}, {},
     {"allowed": True, "code": "exit", "reason": "出厂放行", "notes_has": ["出厂不拦截：超标车辆"],
      "display_has": ["出厂 08-20 08:30"]}),
    ("exit_of_a_whitelisted_vehicle", {"direction": "out", "plate": "云A1234警", "vehicle": None}, {},
     {"allowed": True, "code": "exit", "notes": []}),
    ("exit_checked_by_config", {"direction": "out", "exceed": EXCEED}, {"check_exit": True},
     {"allowed": False, "code": "exceed"}),
    ("manual_entry_is_checked", {"manual": True, "exceed": EXCEED}, {},
     {"allowed": False, "code": "exceed"}),
    ("manual_entry_allowed_by_config", {"manual": True, "exceed": EXCEED}, {"manual_entry": "allow"},
     {"allowed": True, "code": "manual", "reason": "人工录入放行"}),
    # --- notes for the guard
    ("ledger_colour_note", {"color": "yellow_green", "ledger_note": "台账为黄牌，识别为新能源绿黄牌"}, {},
     {"allowed": True, "code": "allowed", "notes_has": ["台账为黄牌，识别为新能源绿黄牌"],
      "display_has": ["云A12345 新能源绿黄牌"]}),
    ("cache_never_synced", {"cache_age_s": None}, {},
     {"allowed": True, "notes_has": ["尚未从平台同步超标车辆和管控策略"]}),
    ("cache_stale", {"cache_age_s": 200000.0}, {},
     {"allowed": True, "notes_has": ["平台名单已 55 小时未更新"]}),
    ("open_alarm_noted", {"alarms": [{"alarmId": "1", "alarmStatus": "0"}, {"alarmId": "2", "alarmStatus": "1"}]}, {},
     {"allowed": True, "notes_has": ["平台违规通行告警 1 条未解除"]}),
]

# Bad rules and bad facts: each must raise ValueError with this text in its message.
ERRORS = [
    ("unknown_key", {"forbiden": []}, {}, "policy.forbiden: unknown key"),
    ("bad_forbidden", {"forbidden": ["22:00-06:00", "周末禁止进出"]}, {}, "policy.forbidden[1]: cannot read"),
    ("bad_min_standard_level", {"min_standard": {"Q": ["", "", "5"]}}, {}, "policy.min_standard.Q:"),
    ("bad_min_standard_value", {"min_standard": {"A": ["", "", "7"]}}, {}, "policy.min_standard.A[2]:"),
    ("bad_min_standard_length", {"min_standard": {"A": ["5"]}}, {}, "must be 3 standards"),
    ("bad_choice", {"unregistered": "wait"}, {}, "policy.unregistered: must be one of"),
    ("bad_bool", {"check_exit": "yes"}, {}, "policy.check_exit: must be true or false"),
    ("bad_use_type", {"whitelist_use_types": ["H", "W"]}, {}, "policy.whitelist_use_types:"),
    ("bad_now", {}, {"now": "2025-08-20T08:30:45"}, "now: must be 'YYYY-MM-DD HH:MM:SS'"),
    ("bad_level", {}, {"performance_level": "E"}, "performance level 'E' is not a 7.10 code"),
]
