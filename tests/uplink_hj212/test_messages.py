"""60001/60002/60003 field mapping from our records, and the 7.3 field-table checks."""
import base64
import io

import pytest
from PIL import Image

from edge.errors import ValidationError
from edge.uplink.hj212 import messages

from .conftest import access_record, jpeg


def test_access_record_maps_to_every_60001_field(photos):
    items = messages.access_fields(access_record(7), photos, place="1号门 进厂")
    d = dict(items)
    assert [k for k, _ in items] == [f[0] for f in messages.FIELDS["60001"] if f[0] in d]
    assert d["DATE"] == "20250820083045"
    assert d["F_CPHM"] == "宁A00007"
    assert d["F_CPYS"] == "黄牌"          # Yunnan 7.6 code 1
    assert d["F_JCLX"] == "进"            # accessType 0
    assert d["F_CRKBH"] == "A" and d["F_ZDBH"] == "A01"
    assert d["F_JCWZ"] == "1号门 进厂"
    assert d["F_VIN"] == "LFWSRXSJ5M1A12345"
    assert d["F_ZCDJRQ"] == "20220620"
    assert d["F_CLLX"] == "H11" and d["F_YLLX"] == "B" and d["F_SYXZ"] == "F"
    assert d["F_CLPPXH"] == "解放_J6P"
    assert d["F_PFBZ"] == "国六"
    assert d["F_LWZT"] == "1"
    assert d["F_HWMC"] == "铁矿石" and d["F_YSL"] == "32.5" and d["F_YSLDW"] == "吨"
    assert d["F_CDMC"] == "安宁顺达运输有限公司"
    assert d["F_TGFS"] == "自动"
    # both photos in the one F_JCZP JPEG: head above body
    img = Image.open(io.BytesIO(base64.b64decode(d["F_JCZP"])))
    assert img.format == "JPEG" and img.size == (240, 160 + 120)


def test_head_only_photo_mode_sends_the_head_photo_unchanged(photos):
    d = dict(messages.access_fields(access_record(), photos, photo_mode="head"))
    assert base64.b64decode(d["F_JCZP"]) == photos["carHeadImg"]


def test_manual_exit_and_free_text_separators(photos):
    r = access_record()
    r.update(accessType="1", passMode="manual", cargoType="煤,焦炭;石灰&砂", plateColor="4")
    r["vehicle"]["emissionStandard"] = "X"     # unknown: no Ningxia name, nullable
    r["vehicle"]["fuelType"] = "P"             # hydrogen: not in Ningxia 8.1 -> Z 其它
    d = dict(messages.access_fields(r, photos))
    assert d["F_JCLX"] == "出" and d["F_TGFS"] == "手动" and d["F_CPYS"] == "新能源绿牌"
    assert d["F_HWMC"] == "煤，焦炭；石灰＆砂"
    assert "F_PFBZ" not in d
    assert d["F_YLLX"] == "Z"


def test_missing_required_facts_name_the_ningxia_element(photos):
    r = access_record()
    r["vehicle"] = None                       # no ledger entry: no fleet name
    r["passMode"] = "magic"
    with pytest.raises(ValidationError) as e:
        messages.access_fields(r, {})
    fields = [f for f, _ in e.value.problems]
    assert "F_JCZP" in fields
    with pytest.raises(ValidationError) as e:
        messages.access_fields(r, photos)
    assert sorted(f for f, _ in e.value.problems) == ["F_CDMC", "F_TGFS"]


def test_unreadable_photo_is_a_clear_error():
    with pytest.raises(ValidationError) as e:
        messages.access_fields(access_record(), {"carHeadImg": b"not a jpeg", "carImg": jpeg(3)})
    assert e.value.problems[0][0] == "F_JCZP"


def test_camera_maps_to_60002_with_credentials_out_of_the_url():
    cam = {"cameraName": "A口车牌识别", "rtsp_url": "rtsp://admin:s3cret@192.168.1.64:8554/Streaming/101",
           "cameraUsername": "", "cameraPassword": ""}
    d = dict(messages.video_fields(cam, "20260101080000"))
    assert d == {"DATE": "20260101080000", "F_WZ": "A口车牌识别", "F_DZ": "rtsp://192.168.1.64:8554/Streaming/101",
                 "F_PORT": "8554", "F_UID": "admin", "F_PSD": "s3cret"}
    cam2 = {"cameraName": "B口", "cameraIp": "10.0.0.9", "cameraHost": "554", "cameraUsername": "u",
            "cameraPassword": "p"}
    assert dict(messages.video_fields(cam2, "20260101080000"))["F_DZ"] == "rtsp://10.0.0.9:554/"


def test_status_words_are_checked():
    assert messages.status_fields("维护", "停产", "20260101080000")[1:] == [("F_QYMJJKZT", "维护"), ("F_SCQK", "停产")]
    with pytest.raises(ValidationError) as e:
        messages.status_fields("OK", "正常", "2026")
    assert sorted(f for f, _ in e.value.problems) == ["DATE", "F_QYMJJKZT"]


def test_check_fields_rules():
    good = {"MN": "91640100MA76XYZ12X", "DATE": "20260101080000", "F_QYMJJKZT": "正常", "F_SCQK": "正常"}
    assert messages.check_fields("60003", good) == []
    bad = dict(good, DATE="20261301080000", MN="", F_X="1")
    assert sorted(f for f, _ in messages.check_fields("60003", bad)) == ["DATE", "F_X", "MN"]
    assert messages.check_fields("1062", good) == [("CN", "must be one of 60001, 60002, 60003")]
