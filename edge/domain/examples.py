"""A valid example record of every kind: what `edge example KIND` prints for a field
technician to copy, and what tests and simulators start from. Ids are built with the real id
builders, so an example always passes `edge validate`.

Media fields (photos) hold a reference the uploader resolves (a path under the site's photo
folder) or a data:image/jpeg;base64, URL; the examples use paths so the file stays readable.
"""
from edge.domain import ids

ENTERPRISE_ID = "91530100MA6K5XYZ1P001V"   # same as `edge config example` [site] enterprise_id
ENTERPRISE_CODE = "91530100MA6K5XYZ1P"


def _vehicle():
    return {
        "vehicleId": ids.vehicle_id(ENTERPRISE_ID, 1),
        "enterpriseId": ENTERPRISE_ID,
        "licensePlate": "云A88888",
        "plateColor": "1",
        "vehicleUse": "1",
        "vin": "LFWSRXSJ5M1A12345",
        "vehicleType": "H11",
        "vehicleBrand": "解放",
        "vehicleModel": "J6P",
        "fuelType": "B",
        "emissionStandard": "6",
        "useType": "F",
        "fleetName": "安宁顺达运输有限公司",
        "registrationDate": "20220620",
        "networkStatus": "1",
        "carImg1": "photos/vehicles/00001-清单.jpg",
        "carImg2": "photos/vehicles/00001-行驶证.jpg",
    }


def _examples():
    return {
        "enterprise": {
            "enterpriseId": ENTERPRISE_ID,
            "enterpriseCode": ENTERPRISE_CODE,
            "enterpriseName": "云南示例钢铁有限公司",
            "address": "云南省昆明市安宁市草铺街道",
            "areaCode": "530100",
            "regionCode": "530181",
            "legalPerson": "张三",
            "contactPerson": "李四",
            "contactPhone": "13800000000",
            "industryType": "01",
            "industryBranch": "0101",
            "longitude": 102.478123,
            "latitude": 24.919456,
            "performanceLevel": "A",
            "entranceNums": 2,
            "gateNums": 4,
            "outsideCars": 120,
            "insideCars": 15,
            "machinerys": 8,
            "status": "1",
        },
        "camera": {
            "cameraId": ids.camera_id(ENTERPRISE_ID, "A", 1),
            "enterpriseId": ENTERPRISE_ID,
            "entranceId": "A",
            "gateId": ids.gate_id("A", 1),
            "cameraName": "A口车牌识别",
            "cameraType": "1",
            "cameraModel": "DS-2CD7A47",
            "manufacturer": "海康威视",
            "installDate": "20250101",
            "cameraIp": "192.168.1.101",
            "cameraHost": "554",
            "cameraUsername": "admin",
            "cameraPassword": "change-me",
            "cameraChannel": "1",
            "resolution": "1920x1080",
            "recordingEnabled": "1",
            "nvrIp": "192.168.1.50",
            "nvrPost": "8000",
            "nvrUsername": "nvr",
            "nvrPassword": "change-me",
            "status": "1",
        },
        "vehicle": _vehicle(),
        "machinery": {
            "machineryId": ids.machinery_id(ENTERPRISE_ID, 1),
            "enterpriseId": ENTERPRISE_ID,
            "machineryCode": "53010020220001",
            "manufactureDate": "20220510",
            "licensePlate": "",
            "emissionStandard": "4",
            "fuelType": "B",
            "machineryType": "3",
            "machineryPin": "PIN20220001",
            "machineryBrand": "ZL50GN",
            "engineModel": "WD10G220E23",
            "engineMaker": "潍柴动力股份有限公司",
            "engineNumber": "ENG20220001",
            "machineryImg1": "photos/machinery/00001-整机铭牌.jpg",
            "machineryImg2": "photos/machinery/00001-发动机铭牌.jpg",
            "machineryImg3": "photos/machinery/00001-环保标签.jpg",
            "ownerName": "自有",
        },
        "access": {
            "recordId": ids.record_id("20250820083045123", ENTERPRISE_ID, "0", 1),
            "enterpriseId": ENTERPRISE_ID,
            "entranceId": "A",
            "gateId": "A01",
            "vehicleId": ids.vehicle_id(ENTERPRISE_ID, 1),
            "licensePlate": "云A88888",
            "plateColor": "1",
            "vin": "LFWSRXSJ5M1A12345",
            "accessType": "0",
            "accessTime": "2025-08-20 08:30:45",
            "cargoType": "铁矿石",
            "cargoWeight": 32.5,
            "cargoUnit": "T",
            "carHeadImg": "photos/2025/08/20/A01-083045-head.jpg",
            "carImg": "photos/2025/08/20/A01-083045-body.jpg",
            "passMode": "auto",
            "smokeLevel": 1,
            "vehicle": _vehicle(),
        },
        "exceed-verification": {
            "recordId": "EV001",
            "licensePlate": "云A12345",
            "plateColor": "1",
            "vin": "LJ123456789012345",
            "excessVerifica": "1",
            "excessVerificadate": "20250925",
        },
        "exceed-vehicle": {
            "recordId": "EV001", "licensePlate": "云A12345", "plateColor": "1",
            "vin": "LJ123456789012345", "fuelType": "B", "emissionStandard": "4",
            "exceedlistReason": "1", "isRemove": "0", "sendTime": "20250704",
        },
        "strategy": {
            "strategyId": "S20250804", "strategyName": "重污染天气橙色预警",
            "startdate": "2025-08-04 09:00:00", "enddate": "2025-08-06 22:00:00",
            "pollutionLevel": "2", "strategyLevel": "2",
            "controlMeasures": "国四及以下重型柴油货车禁止进出",
        },
        "alarm": {
            "alarmId": "5301002417892731892",
            "recordId": ids.record_id("20250820083045123", ENTERPRISE_ID, "0", 1),
            "licensePlate": "云A12345", "plateColor": "1", "vin": "LJ123456789012345",
            "inTime": "2025-08-20 08:30:45", "outTime": "2025-08-20 10:02:10",
            "alarmTime": "2025-08-20 10:05:00", "alarmType": "1", "alarmStatus": "0",
        },
    }


def example(kind_name):
    """A fresh (caller may modify it) valid example record of `kind_name`."""
    ex = _examples()
    if kind_name not in ex:
        raise KeyError("no example for kind %r (known: %s)" % (kind_name, ", ".join(sorted(ex))))
    return ex[kind_name]
