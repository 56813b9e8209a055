"""The site's own ledger: transport/in-plant vehicles (Yunnan 6.11) and non-road machinery (6.12).

Filled by `edge ledger import`, uploaded by `edge push vehicles|machinery`, read by the lane
(the `vehicle` extra of an access record comes from here). One SQLite file in the state dir.
Entries keep the spec's field names as JSON; their photos (carImg1/2, machineryImg1–3) are
stored as JPEG blobs next to them, so the ledger does not depend on the USB stick or share
the import file came from, and `edge push` turns them into "data:image/jpeg;base64,...".
An entry is "pending" until uploaded after its last change (re-importing an entry with
different data makes it pending again).

Import files: CSV or JSON (a list of objects, or one object). CSV as Excel writes it: UTF-8
(with or without BOM) or GBK/GB18030 (Excel on Chinese Windows); the header row holds the
spec field names or their Chinese names (车牌号码, 车牌颜色, 车辆识别代码…, HEADERS below);
code fields take the code or its printed name (黄牌, 柴油, 国六…). An image field holds a path
to a JPEG (relative to the import file) or an inline data:image/jpeg;base64 URL. Missing
enterpriseId is filled from the config.

Re-importing updates entries in place: a row without vehicleId/machineryId is matched to the
entry of the same vehicle (VIN, else plate + colour; machinery: registration code) and keeps
its id; only a vehicle seen for the first time gets the next free sequence number
(edge.domain.ids.vehicle_id / machinery_id). Where several entries describe one plate, the
most recently changed one wins (`vehicle_by_plate`). Every row is checked before anything is
written: one bad row rejects the whole import, listing each problem as "row N field: rule".
"""
from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

from edge.errors import EdgeError, ValidationError

from edge.store.platform_cache import plate_key
from edge.store.sqlite_store import SITE_VERSION_SCHEMA, SiteVersions, SqliteStore, locked, now_text, writes

KINDS = {
    # kind: (table, id field, validation kind, image fields)
    "vehicles": ("vehicle", "vehicleId", "vehicle", ("carImg1", "carImg2")),
    "machinery": ("machinery", "machineryId", "machinery", ("machineryImg1", "machineryImg2", "machineryImg3")),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS vehicle (
    id TEXT PRIMARY KEY, plate_key TEXT, plate_color TEXT, data TEXT NOT NULL,
    changed_at TEXT NOT NULL, uploaded_at TEXT, upload_error TEXT);
CREATE INDEX IF NOT EXISTS vehicle_plate ON vehicle(plate_key);
CREATE TABLE IF NOT EXISTS machinery (
    id TEXT PRIMARY KEY, plate_key TEXT, plate_color TEXT, data TEXT NOT NULL,
    changed_at TEXT NOT NULL, uploaded_at TEXT, upload_error TEXT);
CREATE TABLE IF NOT EXISTS image (
    kind TEXT NOT NULL, owner TEXT NOT NULL, field TEXT NOT NULL, jpeg BLOB NOT NULL,
    PRIMARY KEY (kind, owner, field));
""" + SITE_VERSION_SCHEMA

DATA_URL = "data:image/jpeg;base64,"
MAX_IMAGE_BYTES = 10 << 20   # a phone photo of a registration card is a few MB




def to_data_url(jpeg: bytes) -> str:
    return DATA_URL + base64.b64encode(jpeg).decode("ascii")




class Ledger(SiteVersions, SqliteStore):
    FILENAME = "ledger.sqlite"
    SCHEMA = SCHEMA
    # the ledger is what the installer imported: keep SQLite's safest setting
    SYNCHRONOUS = "FULL"

    # ------------------------------------------------------------ writes

    @writes
    def put_many(self, kind: str, entries: list[tuple[dict, dict]]) -> int:
        """Store [(fields without images, {image field: jpeg bytes})] in one transaction.
        → how many entries changed (new or different)."""
        table, idf, _, _ = KINDS[kind]
        changed = 0
        now = now_text()
        with self.db:
            self.db.execute("BEGIN")
            for fields, images in entries:
                oid = fields[idf]
                data = json.dumps(fields, ensure_ascii=False, sort_keys=True)
                old = self.db.execute("SELECT data FROM %s WHERE id=?" % table, (oid,)).fetchone()
                old_imgs = {r[0]: bytes(r[1]) for r in self.db.execute(
                    "SELECT field, jpeg FROM image WHERE kind=? AND owner=?", (table, oid))}
                if old is not None and old[0] == data and old_imgs == images:
                    continue
                changed += 1
                self.db.execute("INSERT OR REPLACE INTO %s(id, plate_key, plate_color, data, changed_at) "
                                "VALUES (?,?,?,?,?)" % table,
                                (oid, plate_key(fields.get("licensePlate")), fields.get("plateColor"), data, now))
                self.db.execute("DELETE FROM image WHERE kind=? AND owner=?", (table, oid))
                self.db.executemany("INSERT INTO image VALUES (?,?,?,?)",
                                    [(table, oid, f, jpeg) for f, jpeg in images.items()])
        return changed

    @writes
    def mark_uploaded(self, kind: str, oid: str, error: str | None = None) -> None:
        table = KINDS[kind][0]
        with self.db:
            if error is None:
                self.db.execute("UPDATE %s SET uploaded_at=?, upload_error=NULL WHERE id=?" % table, (now_text(), oid))
            else:
                self.db.execute("UPDATE %s SET upload_error=? WHERE id=?" % table, (error, oid))

    # ------------------------------------------------------------ reads

    @locked
    def ids(self, kind: str, pending_only: bool = False) -> list[str]:
        table = KINDS[kind][0]
        sql = "SELECT id FROM %s" % table + (" WHERE uploaded_at IS NULL" if pending_only else "") + " ORDER BY id"
        return [r[0] for r in self.db.execute(sql)]

    @locked
    def get(self, kind: str, oid: str) -> dict | None:
        table = KINDS[kind][0]
        row = self.db.execute("SELECT data FROM %s WHERE id=?" % table, (oid,)).fetchone()
        return json.loads(row[0]) if row else None

    @locked
    def images(self, kind: str, oid: str) -> dict[str, bytes]:
        table = KINDS[kind][0]
        return {r[0]: bytes(r[1]) for r in self.db.execute(
            "SELECT field, jpeg FROM image WHERE kind=? AND owner=?", (table, oid))}

    @locked
    def payload(self, kind: str, oid: str) -> dict:
        """The entry as the platform wants it: fields + images as data URLs."""
        out = self.get(kind, oid)
        if out is None:
            raise KeyError(oid)
        for f, jpeg in self.images(kind, oid).items():
            out[f] = to_data_url(jpeg)
        return out

    @locked
    def status(self, kind: str) -> list[dict]:
        table = KINDS[kind][0]
        return [dict(r) for r in self.db.execute(
            "SELECT id, plate_key, changed_at, uploaded_at, upload_error FROM %s ORDER BY id" % table)]

    @locked
    def vehicle_by_plate(self, plate, color=None) -> dict | None:
        """The ledger entry (6.11 fields, no images) of a plate, for the access record's `vehicle`.
        Several entries for one plate (re-registered, imported twice): the most recently
        changed wins — an INSERT OR REPLACE gives the row a new rowid."""
        sql, args = "SELECT data FROM vehicle WHERE plate_key=?", [plate_key(plate)]
        if color is not None:
            sql += " AND (plate_color=? OR plate_color IS NULL OR plate_color='')"
            args.append(str(color))
        row = self.db.execute(sql + " ORDER BY rowid DESC LIMIT 1", args).fetchone()
        return json.loads(row[0]) if row else None

    @locked
    def match(self, kind: str, fields: dict) -> str | None:
        """The id of the stored entry describing the same vehicle/machine as `fields`, newest
        first: vehicles by VIN, else by plate + colour; machinery by registration code."""
        table = KINDS[kind][0]
        probes = []
        if kind == "vehicles":
            if fields.get("vin"):
                probes.append(("json_extract(data, '$.vin')=?", [str(fields["vin"]).strip().upper()]))
            if fields.get("licensePlate"):
                probes.append(("plate_key=? AND COALESCE(plate_color, '')=?",
                               [plate_key(fields["licensePlate"]), str(fields.get("plateColor") or "")]))
        elif fields.get("machineryCode"):
            probes.append(("json_extract(data, '$.machineryCode')=?", [str(fields["machineryCode"]).strip()]))
        for where, args in probes:
            row = self.db.execute("SELECT id FROM %s WHERE %s ORDER BY rowid DESC LIMIT 1" % (table, where),
                                  args).fetchone()
            if row:
                return row[0]
        return None

    @locked
    def vehicles_by_plate(self, plate) -> list[dict]:
        """Every ledger entry (6.11 fields, no images) with this plate, whatever its colour: the
        gate matches on the plate and uses the colour only to choose. Colours in the order their
        first entry was made (oldest id first); several entries of one plate and colour (one
        vehicle entered twice) newest first, so the most recent entry wins."""
        rows = self.db.execute("SELECT id, rowid, COALESCE(plate_color, ''), data FROM vehicle WHERE plate_key=? "
                               "ORDER BY id", (plate_key(plate),)).fetchall()
        groups: dict = {}
        for oid, rowid, color, data in rows:
            groups.setdefault(color, []).append((rowid, data))
        return [json.loads(data) for entries in groups.values()
                for _, data in sorted(entries, key=lambda e: e[0], reverse=True)]

    @locked
    def next_seq(self, kind: str, prefix: str) -> int:
        """1 + the highest 5-digit sequence among ids starting with `prefix`."""
        table = KINDS[kind][0]
        best = 0
        for (oid,) in self.db.execute("SELECT id FROM %s WHERE id LIKE ?" % table, (prefix + "%",)):
            tail = oid[len(prefix):]
            if len(tail) == 5 and tail.isdigit():
                best = max(best, int(tail))
        return best + 1

    @locked
    def vehicle_plates(self) -> tuple[tuple, list[str]]:
        """((count, last change), every plate): the gate rebuilds its plate index when the first changes."""
        count, last = self.db.execute("SELECT COUNT(*), MAX(changed_at) FROM vehicle").fetchone()
        plates = [json.loads(r[0]).get("licensePlate", "") for r in self.db.execute("SELECT data FROM vehicle")]
        return (count, last), plates

    @locked
    def count(self, kind: str) -> int:
        return self.db.execute("SELECT count(*) FROM %s" % KINDS[kind][0]).fetchone()[0]

    # ------------------------------------------------------------ site replication (edge/site)
    # The site leader distributes the ledger as entries {"id", "data", "changed_at", "uploaded_at",
    # "upload_error", "images": {field: sha256}}: the fields travel in the list, the photos only
    # to the leader (it uploads the ledger) and to whichever lane asks for them.
    @locked
    def site_export(self, kind: str) -> list[dict]:
        import hashlib
        table = KINDS[kind][0]
        digests: dict[str, dict] = {}
        for owner, field, jpeg in self.db.execute("SELECT owner, field, jpeg FROM image WHERE kind=?", (table,)):
            digests.setdefault(owner, {})[field] = hashlib.sha256(bytes(jpeg)).hexdigest()
        return [{"id": r["id"], "data": json.loads(r["data"]), "changed_at": r["changed_at"],
                 "uploaded_at": r["uploaded_at"], "upload_error": r["upload_error"], "images": digests.get(r["id"], {})}
                for r in self.db.execute("SELECT * FROM %s ORDER BY id" % table)]

    @locked
    def site_write(self, kind: str, upserts, removes=(), *, replace: bool = False,
                   images: dict | None = None, version: int | None = None, keep=()) -> None:
        """Apply a snapshot (replace=True) or a delta; `images` {id: {field: jpeg}} when known.
        Entries in `keep` (made here, not yet merged by the site) are left as they are.
        Photos held here that the site entry no longer names (by digest) are dropped."""
        import hashlib
        table = KINDS[kind][0]
        images = images or {}
        keep = {str(i) for i in keep}
        upserts = [e for e in upserts if str(e["id"]) not in keep]
        listed = {str(e["id"]) for e in upserts} | keep
        with self.db:
            self.db.execute("BEGIN")
            gone = [i for i in removes if str(i) not in keep]
            if replace:
                gone += [r[0] for r in self.db.execute("SELECT id FROM %s" % table) if r[0] not in listed]
            for oid in gone:
                self.db.execute("DELETE FROM %s WHERE id=?" % table, (str(oid),))
                self.db.execute("DELETE FROM image WHERE kind=? AND owner=?", (table, str(oid)))
            for e in upserts:
                oid, f = str(e["id"]), e["data"]
                self.db.execute("INSERT OR REPLACE INTO %s(id, plate_key, plate_color, data, changed_at, uploaded_at, "
                                "upload_error) VALUES (?,?,?,?,?,?,?)" % table,
                                (oid, plate_key(f.get("licensePlate")), f.get("plateColor"),
                                 json.dumps(f, ensure_ascii=False, sort_keys=True), e.get("changed_at") or now_text(),
                                 e.get("uploaded_at"), e.get("upload_error")))
                wanted = e.get("images") or {}
                if oid in images:
                    self.db.execute("DELETE FROM image WHERE kind=? AND owner=?", (table, oid))
                    self.db.executemany("INSERT INTO image VALUES (?,?,?,?)",
                                        [(table, oid, fld, jpeg) for fld, jpeg in images[oid].items()])
                    continue
                for fld, jpeg in list(self.db.execute("SELECT field, jpeg FROM image WHERE kind=? AND owner=?",
                                                      (table, oid))):
                    if wanted.get(fld) != hashlib.sha256(bytes(jpeg)).hexdigest():
                        self.db.execute("DELETE FROM image WHERE kind=? AND owner=? AND field=?", (table, oid, fld))
            if version is not None:
                self.db.execute("INSERT OR REPLACE INTO site_version VALUES (?,?,?)", (kind, int(version), now_text()))



# ---------------------------------------------------------------- import files

# Chinese column names an installer's spreadsheet uses -> spec field names (besides the
# spec's own 参数说明 labels, which are accepted too). Compared after normalise_header().
HEADERS = {
    "vehicles": {
        "车辆编号": "vehicleId", "企业编号": "enterpriseId",
        "车牌号码": "licensePlate", "车牌号": "licensePlate", "车牌": "licensePlate", "号牌号码": "licensePlate",
        "环保登记编码": "licensePlate", "内部管理号牌": "licensePlate",
        "车牌颜色": "plateColor", "号牌颜色": "plateColor", "颜色": "plateColor",
        "运输/厂内车辆": "vehicleUse", "车辆用途": "vehicleUse", "车辆属性": "vehicleUse",
        "车辆识别代码": "vin", "车辆识别代号": "vin", "车架号": "vin", "vin码": "vin",
        "车辆类型": "vehicleType", "车辆品牌": "vehicleBrand", "品牌": "vehicleBrand",
        "车辆型号": "vehicleModel", "型号": "vehicleModel", "燃料类型": "fuelType", "燃料种类": "fuelType",
        "排放标准": "emissionStandard", "排放阶段": "emissionStandard", "使用性质": "useType",
        "车队名称": "fleetName", "车队": "fleetName", "注册登记日期": "registrationDate",
        "注册日期": "registrationDate", "环保登记日期": "registrationDate", "联网状态": "networkStatus",
        "随车清单图片": "carImg1", "随车清单": "carImg1", "行驶证图片": "carImg2", "行驶证": "carImg2",
    },
    "machinery": {
        "机械编号": "machineryId", "企业编号": "enterpriseId", "机械登记编码": "machineryCode",
        "环保登记编码": "machineryCode", "机械生产日期": "manufactureDate", "生产日期": "manufactureDate",
        "车牌号码": "licensePlate", "车牌号": "licensePlate", "排放标准": "emissionStandard",
        "燃料类型": "fuelType", "机械种类": "machineryType", "机械类型": "machineryType",
        "pin": "machineryPin", "产品识别码": "machineryPin", "机械型号": "machineryBrand",
        "品牌型号": "machineryBrand", "发动机型号": "engineModel", "发动机生产厂": "engineMaker",
        "发动机编号": "engineNumber", "整车(机)铭牌": "machineryImg1", "整车铭牌": "machineryImg1",
        "发动机铭牌": "machineryImg2", "机械环保信息标签": "machineryImg3", "环保信息标签": "machineryImg3",
        "所属人(单位)": "ownerName", "所属人": "ownerName", "所属单位": "ownerName",
    },
}
# Plate colours as people write them (the table's own names 黄牌, 蓝牌… are accepted too).
COLOR_WORDS = {"蓝": "0", "蓝色": "0", "黄": "1", "黄色": "1", "白": "2", "白色": "2", "黑": "3", "黑色": "3",
               "绿": "4", "绿色": "4", "绿牌": "4", "新能源": "4", "渐变绿": "4", "黄绿": "6", "黄绿双拼": "6",
               "新能源黄绿": "6"}


def normalise_header(name: str) -> str:
    """Strip blanks, BOM, required-markers (*) and full-width brackets from a column name."""
    t = str(name).replace("\ufeff", "").strip().strip("*＊").strip()
    return t.replace("（", "(").replace("）", ")").replace(" ", "").lower()


def header_map(kind: str) -> dict:
    from edge.domain.records import KINDS as RECORD_KINDS
    out = {}
    for f in RECORD_KINDS[KINDS[kind][2]]["fields"]:
        out[normalise_header(f["name"])] = f["name"]
        out[normalise_header(f["label"])] = f["name"]
    out.update((normalise_header(k), v) for k, v in HEADERS[kind].items())
    return out


def read_rows(path, kind: str | None = None) -> list[dict]:
    """Rows of a CSV (header = field names or their Chinese names) or JSON (list of objects /
    one object) file; UTF-8 (BOM or not) or GBK/GB18030. Column names are mapped to field
    names when `kind` is given."""
    from edge import inputs
    p = Path(path)
    text = inputs.read_text(p, "ledger file")
    if p.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            data = inputs.parse_json(text, str(p))
        except EdgeError as e:
            raise ValidationError([("(file)", str(e).split(": ", 1)[-1])], str(p)) from None
        rows = data if isinstance(data, list) else [data]
        if not all(isinstance(r, dict) for r in rows):
            raise ValidationError([("(file)", "must hold a JSON object or a list of objects")], str(p))
        return rows
    names = header_map(kind) if kind else {}
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)   # Excel writes ; or tabs in some locales
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        rows = []
        for row in reader:
            out = {}
            for k, v in row.items():
                if k is None or v in (None, "") or not isinstance(v, str):
                    continue
                key = names.get(normalise_header(k), k.strip().lstrip("\ufeff"))
                out[key] = v.strip()
            if out:
                rows.append(out)
    except csv.Error as e:
        raise ValidationError([("(file)", "not a readable CSV file: %s" % e)], str(p)) from None
    return rows


def translate_codes(kind: str, fields: dict) -> dict:
    """Code fields given by their printed name (黄牌 -> 1, 柴油 -> B) become the code."""
    from edge.domain.codes import TABLES
    from edge.domain.records import fields_by_name
    spec = fields_by_name(KINDS[kind][2])
    out = dict(fields)
    for name, value in fields.items():
        f = spec.get(name)
        if not f or not f.get("table") or not isinstance(value, str):
            continue
        table = TABLES[f["table"]]
        v = value.strip()
        if v in table:
            continue
        by_name = {n: c for c, n in table.items()}
        if v in by_name:
            out[name] = by_name[v]
        elif f["table"] == "yunnan.plate_color" and v in COLOR_WORDS:
            out[name] = COLOR_WORDS[v]
    return out


def load_image(value, base_dir: Path) -> tuple[bytes | None, str | None]:
    """An image field's JPEG bytes from a path or a data URL. → (bytes, None) or (None, rule)."""
    if isinstance(value, str) and value.startswith("data:image/"):
        try:
            jpeg = base64.b64decode(value.split(",", 1)[1], validate=True)
        except (ValueError, IndexError):
            return None, "data URL is not valid Base64"
    else:
        from edge import inputs
        p = Path(str(value))
        if not p.is_absolute():
            p = base_dir / p
        try:
            jpeg = inputs.read_bytes(p, "image", MAX_IMAGE_BYTES)
        except EdgeError as e:
            return None, "cannot read image %s" % str(e).replace("%s: " % p, "%s (" % p, 1) + ")"
    if not jpeg.startswith(b"\xff\xd8"):
        return None, "is not a JPEG image"
    return jpeg, None


# used only until edge.domain.validate exists (spec 6.11 / 6.12 "是否必传 = 是")
_REQUIRED = {
    "vehicles": ("vehicleId", "enterpriseId", "licensePlate", "vehicleUse", "vin", "vehicleType", "vehicleBrand",
                 "vehicleModel", "fuelType", "emissionStandard", "useType", "fleetName", "registrationDate",
                 "networkStatus", "carImg1", "carImg2"),
    "machinery": ("machineryId", "enterpriseId", "machineryCode", "manufactureDate", "emissionStandard", "fuelType",
                  "machineryType", "machineryPin", "machineryBrand", "engineModel", "engineMaker", "engineNumber",
                  "machineryImg1", "machineryImg2", "ownerName"),
}


def _validator():
    try:
        from edge.domain.validate import validate
        return validate
    except ImportError:  # the domain package is younger than this module; required fields only
        return None


def _identities(kind, fields):
    if kind == "vehicles":
        if fields.get("vin"):
            yield ("vin", str(fields["vin"]).strip().upper())
        if fields.get("licensePlate"):
            yield ("licensePlate", "%s %s" % (plate_key(fields["licensePlate"]), fields.get("plateColor") or ""))
    elif fields.get("machineryCode"):
        yield ("machineryCode", str(fields["machineryCode"]).strip())


def prepare(kind: str, rows: list[dict], base_dir, enterprise_id: str, ledger: Ledger) -> list[tuple[dict, dict]]:
    """Check every row of an import and turn it into (fields, images); raise ValidationError
    listing every problem ("row N field: rule") before anything is written."""
    from edge.domain import ids
    table, idf, vkind, image_fields = KINDS[kind]
    validate = _validator()
    problems: list[tuple[str, str]] = []
    out: list[tuple[dict, dict]] = []
    prefix = enterprise_id if kind == "vehicles" else "JX" + enterprise_id
    next_seq = ledger.next_seq(kind, prefix)
    seen: set[str] = set()
    same: dict = {}   # vehicle identity (VIN / plate+colour / code) -> first row number
    for n, row in enumerate(rows, 1):
        where = "row %d " % n
        fields = translate_codes(kind, {k: v for k, v in row.items() if k not in image_fields})
        fields.setdefault("enterpriseId", enterprise_id)
        for key in _identities(kind, fields):
            if key in same:
                problems.append((where + key[0], "same vehicle as row %d (%s): one row per vehicle"
                                 % (same[key], key[1])))
            same.setdefault(key, n)
        if not fields.get(idf):
            known = ledger.match(kind, fields)
            if known:
                fields[idf] = known   # an update of a known vehicle keeps its id
            else:
                try:
                    fields[idf] = (ids.vehicle_id if kind == "vehicles" else ids.machinery_id)(enterprise_id,
                                                                                               next_seq)
                except ValueError as e:
                    problems.append((where + idf, str(e)))
                    continue
                next_seq += 1
        if fields[idf] in seen:
            problems.append((where + idf, "duplicate of an earlier row (%s)" % fields[idf]))
        seen.add(fields[idf])
        images: dict[str, bytes] = {}
        for f in image_fields:
            if row.get(f) in (None, ""):
                continue
            jpeg, err = load_image(row[f], Path(base_dir))
            if err:
                problems.append((where + f, err))
            else:
                images[f] = jpeg
        check = dict(fields)
        check.update({f: to_data_url(j) for f, j in images.items()})
        if validate is not None:
            found = validate(vkind, check)
        else:
            found = [(f, "required") for f in _REQUIRED[kind] if check.get(f) in (None, "")]
        for f, rule in found:
            if f in image_fields and row.get(f) not in (None, "") and f not in images:
                continue  # already reported as unreadable
            problems.append((where + f, rule))
        out.append((fields, images))
    if problems:
        raise ValidationError(problems, "%s import" % kind)
    return out
