"""Record types as data: one field list per kind, read by validation, examples and simulators.

Field names are exactly the Yunnan chapter 6 names. Each field is a dict:
  name      the JSON key
  label     the spec's 参数说明
  required  True when the spec says 是否必传 = 是
  type      "str" (字符), "int" (数字, whole count >= 0), "number" (数字, >= 0),
            "coord" (数字(10,6): degrees with 6 decimals), "media" (文件/图片)
  max       maximum length in characters, from the Ningxia 5.2 tables (or the HJ 212 packet
            sizes of Ningxia 7.3) where one is given; see LENGTH_SOURCES below
  size      exact length (enterpriseCode: 18-character credit code)
  table     code table the value must be in (edge.domain.codes); "ningxia_table" is the
            table used instead when validating for the Ningxia platform
  format    "date" YYYYMMDD, "datetime" YYYY-MM-DD HH:mm:ss, "date_any" YYYYMMDD or
            YYYY-MM-DD (only for data the platform sends: its own examples use dashes),
            "enterprise", "entrance", "gate", "ip", "port"
  min/max_value  range for numbers
A kind is {"title", "section", "strict", "fields"}; strict kinds (what we write) report
unknown keys, non-strict kinds (what the platform sends us) ignore them.

Spec inconsistencies decided here:
  * 6.4 names the NVR port `nvrPost` in its field table but `nvrPort` in its example JSON; the
    field table wins (as in edge.config), and validation accepts `nvrPort` in its place.
  * 6.4 installDate: table says YYYYMMDD, example prints 2023-10-02; the table wins.
  * 6.6 sendTime/removeTime: table says YYYYMMDD, the platform's example sends YYYY-MM-DD;
    both are accepted for that received data.
  * Codes printed as JSON numbers in the spec examples (cameraType 2, status 1,
    excessVerifica 1, alarmType 2) are accepted as numbers too; our examples send strings,
    as the field tables (字符) say.
  * Ningxia prints one length for 车辆品牌型号 (32); Yunnan splits it into vehicleBrand and
    vehicleModel: each gets 32. 表3 (access) limits the plate to 10 characters, 表2 (ledger)
    to 20; each kind uses its own table.
"""


def F(name, label, required=True, type="str", **kw):
    d = {"name": name, "label": label, "required": required, "type": type}
    d.update(kw)
    return d


# Ningxia sources of the lengths (for the docs and `edge example --fields`).
LENGTH_SOURCES = {
    "enterprise": "Ningxia 5.2 表1 企业基本信息",
    "vehicle": "Ningxia 5.2 表2 车辆信息采集数据表",
    "access": "Ningxia 5.2 表3 进出厂车辆信息上传表",
    "machinery": "Ningxia 5.2 表4 (环保登记编码 32, 车牌 10, 品牌型号 32, 所有人 100)",
    "camera": "Ningxia 7.3.2 HJ 212 门禁视频信息 (F_UID/F_PSD Varchar(20)); 4.6.1 ids",
}

ENTERPRISE = [
    F("enterpriseId", "企业编号", max=22, format="enterprise"),
    F("enterpriseCode", "企业统一社会信用代码", size=18, format="enterprise"),
    F("enterpriseName", "企业名称", max=100),
    F("address", "企业地址", max=255),
    F("areaCode", "所属州市代码", table="yunnan.region", format="prefecture"),
    F("regionCode", "所属区县代码", table="yunnan.region", format="county"),
    F("legalPerson", "法定代表人", max=20),
    F("contactPerson", "联系人", max=20),
    F("contactPhone", "联系电话", max=20),
    F("industryType", "行业类型", table="yunnan.industry_type", max=50),
    F("industryBranch", "行业分支", False, table="yunnan.industry_branch", max=50),
    F("longitude", "经度", type="coord", min_value=73, max_value=136),
    F("latitude", "纬度", type="coord", min_value=3, max_value=54),
    F("performanceLevel", "绩效分级管控类型", table="yunnan.performance_level", max=50),
    F("entranceNums", "载货出入口数量", type="int"),
    F("gateNums", "道闸数量", type="int"),
    F("outsideCars", "运输车辆数量", type="int"),
    F("insideCars", "厂内运输车辆数量", type="int"),
    F("machinerys", "非道机械数量", type="int"),
    F("status", "状态", table="yunnan.enterprise_status"),
]

CAMERA = [
    F("cameraId", "摄像头编号", format="camera_id"),
    F("enterpriseId", "企业编号", max=22, format="enterprise"),
    F("entranceId", "出入口编号", max=1, format="entrance"),
    F("gateId", "道闸编号", False, max=3, format="gate"),
    F("cameraName", "摄像头名称", max=100),
    F("cameraType", "摄像头类型", table="yunnan.camera_type"),
    F("cameraModel", "摄像头型号"),
    F("manufacturer", "厂商"),
    F("installDate", "安装日期", format="date"),
    F("cameraIp", "摄像头IP地址", format="ip"),
    F("cameraHost", "摄像头端口", format="port"),
    F("cameraUsername", "摄像头用户名", max=20),
    F("cameraPassword", "摄像头密码", max=20),
    F("cameraChannel", "摄像头通道号"),
    F("resolution", "分辨率"),
    F("recordingEnabled", "是否录像", table="yunnan.recording_enabled"),
    F("nvrIp", "NVR IP地址", format="ip"),
    F("nvrPost", "NVR端口", format="port", alias="nvrPort"),
    F("nvrUsername", "NVR用户名", max=20),
    F("nvrPassword", "NVR密码", max=20),
    F("status", "状态", table="yunnan.enterprise_status"),
]

VEHICLE = [
    F("vehicleId", "车辆编号", format="vehicle_id"),
    F("enterpriseId", "企业编号", max=22, format="enterprise"),
    F("licensePlate", "车牌号/环保登记编码/内部管理号牌", max=20),
    F("plateColor", "车牌颜色", False, max=1, table="yunnan.plate_color"),
    F("vehicleUse", "运输/厂内车辆", table="yunnan.vehicle_use"),
    F("vin", "车辆识别代码", max=17),
    F("vehicleType", "车辆类型", table="yunnan.vehicle_type", ningxia_table="ningxia.vehicle_type"),
    F("vehicleBrand", "车辆品牌", max=32),
    F("vehicleModel", "车辆型号", max=32),
    F("fuelType", "燃料类型", table="yunnan.fuel_type", ningxia_table="ningxia.fuel_type"),
    F("emissionStandard", "排放标准", max=1, table="yunnan.emission_standard",
      ningxia_table="ningxia.emission_standard"),
    F("useType", "使用性质", table="yunnan.use_type", ningxia_table="ningxia.use_type"),
    F("fleetName", "车队名称", max=100),
    F("registrationDate", "注册登记日期/环保登记日期", format="date"),
    F("networkStatus", "联网状态", max=1, table="yunnan.network_status"),
    F("carImg1", "随车清单图片", type="media"),
    F("carImg2", "行驶证图片", type="media"),
]

MACHINERY = [
    F("machineryId", "机械编号", format="machinery_id"),
    F("enterpriseId", "企业编号", max=22, format="enterprise"),
    F("machineryCode", "机械登记编码", max=32),
    F("manufactureDate", "机械生产日期", format="date"),
    F("licensePlate", "车牌号码", False, max=10),
    F("emissionStandard", "排放标准", table="yunnan.emission_standard",
      ningxia_table="ningxia.emission_standard"),
    F("fuelType", "燃料类型", table="yunnan.fuel_type", ningxia_table="ningxia.fuel_type"),
    F("machineryType", "机械种类", table="yunnan.machinery_type"),
    F("machineryPin", "机械环保代码产品识别码(PIN)"),
    F("machineryBrand", "机械型号", max=32),
    F("engineModel", "发动机型号"),
    F("engineMaker", "发动机生产厂"),
    F("engineNumber", "发动机编号"),
    F("machineryImg1", "整车(机)铭牌", type="media"),
    F("machineryImg2", "发动机铭牌", type="media"),
    # required for machines made from 2017-07-01 on: checked as a cross-field rule
    F("machineryImg3", "机械环保信息标签", False, type="media"),
    F("ownerName", "所属人(单位)", max=100),
]

ACCESS = [
    F("recordId", "进出厂记录编号", format="record_id"),
    F("enterpriseId", "企业编号", max=22, format="enterprise"),
    F("entranceId", "出入口编号", max=1, format="entrance"),
    F("gateId", "道闸编号", False, max=3, format="gate"),
    F("vehicleId", "车辆编号"),
    F("licensePlate", "车牌号码", max=10),
    F("plateColor", "号牌颜色", max=1, table="yunnan.plate_color"),
    F("vin", "车辆识别代号", max=17),
    F("accessType", "进出厂类型", table="yunnan.access_type"),
    F("accessTime", "进厂/出厂时间", format="datetime"),
    F("cargoType", "运输货物名称", max=32),
    F("cargoWeight", "货物运输量", type="number"),
    F("cargoUnit", "货物计量单位", table="yunnan.cargo_unit"),
    F("carHeadImg", "进厂/出厂车头照片", type="media"),
    F("carImg", "进厂/出厂车身照片", type="media"),
]

# Lane extras of the shared record contract (not sent to Yunnan as such).
ACCESS_EXTRAS = [
    F("passMode", "抬杆方式 (auto/manual)", False, format="pass_mode"),
    F("vehicle", "车辆台账 (6.11 fields)", False, type="vehicle"),
    F("smokeLevel", "林格曼黑度 0-5", False, type="int", max_value=5),
    F("plateCheck", "车牌核验 (how the plate was read: ledger check, colour, manual)", False, max=300),
]

EXCEED_VERIFICATION = [
    F("recordId", "超标车辆编号"),
    F("licensePlate", "车牌号码", max=20),
    F("plateColor", "车牌颜色", max=1, table="yunnan.plate_color"),
    F("vin", "车辆识别代码", max=17),
    F("excessVerifica", "排放超标核实结果", table="yunnan.excess_verification"),
    F("excessVerificadate", "排放超标核实日期", format="date"),
]

EXCEED_VEHICLE = [
    F("recordId", "超标车辆记录编号"),
    F("licensePlate", "车牌号码"),
    F("plateColor", "车牌颜色", table="yunnan.plate_color"),
    F("vin", "车辆识别代码"),
    F("fuelType", "燃料类型", table="yunnan.fuel_type"),
    F("emissionStandard", "排放标准", table="yunnan.emission_standard"),
    F("exceedlistReason", "超标原因", table="yunnan.exceed_reason"),
    F("isRemove", "是否解除", table="yunnan.yes_no"),
    F("sendTime", "下发超标时间", format="date_any"),
    F("removeTime", "解除时间", False, format="date_any"),
]

STRATEGY = [
    F("strategyId", "管控措施编号"),
    F("strategyName", "管控策略名称", False),     # in the example only
    F("startdate", "预警响应开始日期", format="datetime"),
    F("enddate", "预警响应解除日期", format="datetime"),
    F("pollutionLevel", "预警级别", table="yunnan.pollution_level"),
    F("strategyLevel", "响应级别", table="yunnan.strategy_level"),
    F("controlMeasures", "管控措施"),
]

ALARM = [
    F("alarmId", "违规通行记录编号"),
    F("recordId", "进出厂记录编号"),
    F("licensePlate", "车牌号码"),
    F("plateColor", "车牌颜色", table="yunnan.plate_color"),
    F("vin", "车辆识别代号"),
    F("inTime", "进厂时间", format="datetime"),
    F("outTime", "出厂时间", format="datetime"),
    F("alarmTime", "违规下发时间", format="datetime"),
    F("alarmType", "违规通行原因", table="yunnan.alarm_type"),
    F("alarmStatus", "是否解除", table="yunnan.alarm_status"),
    F("alarmReason", "违规原因说明", False),     # in the example only
]

KINDS = {
    "enterprise": {"title": "企业信息", "section": "6.3", "strict": True, "fields": ENTERPRISE},
    "camera": {"title": "摄像头信息", "section": "6.4", "strict": True, "fields": CAMERA},
    "vehicle": {"title": "运输及厂内车辆台账", "section": "6.11", "strict": True, "fields": VEHICLE},
    "machinery": {"title": "非道机械台账", "section": "6.12", "strict": True, "fields": MACHINERY},
    "access": {"title": "车辆进出厂记录", "section": "6.13", "strict": True,
               "fields": ACCESS, "extras": ACCESS_EXTRAS},
    "exceed-verification": {"title": "超标车辆数据核实", "section": "6.14", "strict": True,
                            "fields": EXCEED_VERIFICATION},
    "exceed-vehicle": {"title": "平台超标车辆", "section": "6.6", "strict": False,
                       "fields": EXCEED_VEHICLE},
    "strategy": {"title": "管控策略", "section": "6.7", "strict": False, "fields": STRATEGY},
    "alarm": {"title": "违规通行车辆", "section": "6.9", "strict": False, "fields": ALARM},
}

# The kinds a field technician writes and `edge validate` / `edge example` offer.
CLI_KINDS = ("enterprise", "camera", "vehicle", "machinery", "access", "exceed-verification")

PASS_MODES = ("auto", "manual")


def kind(name):
    try:
        return KINDS[name]
    except KeyError:
        raise KeyError("unknown record kind %r (known: %s)" % (name, ", ".join(sorted(KINDS))))


def field_names(name, extras=False):
    """Spec field names of a kind, in spec order (plus the lane extras if asked)."""
    k = kind(name)
    names = [f["name"] for f in k["fields"]]
    if extras:
        names += [f["name"] for f in k.get("extras", ())]
    return names


def fields_by_name(name):
    k = kind(name)
    out = {}
    for f in k["fields"]:
        out[f["name"]] = f
    for f in k.get("extras", ()):
        out[f["name"]] = f
    return out
