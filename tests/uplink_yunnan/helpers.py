"""Config files and JPEGs for the Yunnan tests."""
import io

from PIL import Image

from tests.uplink_yunnan.conftest import ENTERPRISE_ID


def jpeg(color=(200, 30, 30), size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def write_config(tmp_path, base_url, extra_yunnan="") -> str:
    text = f'''
[site]
enterprise_id = "{ENTERPRISE_ID}"
enterprise_name = "云南示例钢铁有限公司"
entrance_id = "A"
gate_id = "A01"

[paths]
state_dir = "{tmp_path / 'state'}"

[uplink]
destinations = ["yunnan"]

[uplink.yunnan]
base_url = "{base_url}"
timeout_s = 5.0
retries = 2
backoff_s = 0.01
backoff_max_s = 0.05
{extra_yunnan}

[enterprise]
enterpriseCode = "91530100MA6K5XYZ1P"
address = "云南省昆明市安宁市草铺街道"
areaCode = "530100"
regionCode = "530181"
legalPerson = "张三"
contactPerson = "李四"
contactPhone = "13800000000"
industryType = "01"
industryBranch = "0101"
longitude = 102.478123
latitude = 24.919456
performanceLevel = "A"
entranceNums = 2
gateNums = 4
outsideCars = 120
insideCars = 15
machinerys = 8

[[cameras]]
cameraSeq = 1
cameraName = "A口车牌识别"
cameraType = "1"
cameraModel = "DS-2CD7A47"
manufacturer = "海康威视"
installDate = "20250101"
cameraIp = "192.168.1.101"
cameraHost = "554"
cameraUsername = "admin"
cameraPassword = "cam-secret-1"
nvrIp = "192.168.1.50"
nvrPost = "8000"
nvrUsername = "nvr"
nvrPassword = "nvr-secret-1"

[[cameras]]
cameraSeq = 2
cameraName = "A口车身抓拍"
cameraType = "2"
cameraModel = "DS-2CD3T56"
manufacturer = "海康威视"
installDate = "20250101"
cameraIp = "192.168.1.102"
cameraHost = "554"
cameraUsername = "admin"
cameraPassword = "cam-secret-2"
nvrIp = "192.168.1.50"
nvrPost = "8000"
nvrUsername = "nvr"
nvrPassword = "nvr-secret-1"
'''
    p = tmp_path / "edge.toml"
    p.write_text(text, encoding="utf-8")
    return str(p)
