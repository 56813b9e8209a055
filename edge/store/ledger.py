"""The site's own ledger: transport/in-plant vehicles (Yunnan 6.11) and non-road machinery (6.12).

Filled by `edge ledger import`, uploaded by `edge push vehicles|machinery`, read by the lane
(the `vehicle` extra of an access record comes from here). One SQLite file in the state dir.
Entries keep the spec's field names as JSON; their photos (carImg1/2, machineryImg1–3) are
stored as JPEG blobs next to them, so the ledger does not depend on the USB stick or share
the import file came from, and `edge push` turns them into "data:image/jpeg;base64,...".
An entry is "pending" until uploaded after its last change (re-importing an entry with
different data makes it pending again).

Import files: CSV (header row of spec field names, UTF-8, BOM tolerated) or JSON (a list of
objects, or one object). An image field holds a path to a JPEG (relative to the import file)
or an inline data:image/jpeg;base64 URL. Missing enterpriseId is filled from the config;
missing vehicleId/machineryId is given the next free sequence number
(edge.domain.ids.vehicle_id / machinery_id). Every row is checked before anything is written:
one bad row rejects the whole import, listing each problem as "row N field: rule".
"""
from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

from edge.store.platform_cache import plate_key
from edge.store.sqlite_store import SqliteStore, locked, now_text

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
CREATE TABLE IF NOT EXISTS site_version (list TEXT PRIMARY KEY, version INTEGER NOT NULL, at TEXT NOT NULL);
"""

DATA_URL = "data:image/jpeg;base64,"




def to_data_url(jpeg: bytes) -> str:
    return DATA_URL + base64.b64encode(jpeg).decode("ascii")




class Ledger(SqliteStore):
    FILENAME = "ledger.sqlite"
    SCHEMA = SCHEMA
    # the ledger is what the installer imported: keep SQLite's safest setting
    SYNCHRONOUS = "FULL"

    # ------------------------------------------------------------ writes

    @locked
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

    @locked
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
        """The ledger entry (6.11 fields, no images) of a plate, for the access record's `vehicle`."""
        sql, args = "SELECT data FROM vehicle WHERE plate_key=?", [plate_key(plate)]
        if color is not None:
            sql += " AND (plate_color=? OR plate_color IS NULL OR plate_color='')"
            args.append(str(color))
        row = self.db.execute(sql + " ORDER BY id LIMIT 1", args).fetchone()
        return json.loads(row[0]) if row else None

    @locked
    def vehicles_by_plate(self, plate) -> list[dict]:
        """Every ledger entry (6.11 fields, no images) with this plate, whatever its colour,
        oldest id first: the gate matches on the plate and uses the colour only to choose."""
        rows = self.db.execute("SELECT data FROM vehicle WHERE plate_key=? ORDER BY id", (plate_key(plate),))
        return [json.loads(r[0]) for r in rows]

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

    @locked
    def site_versions(self) -> dict:
        return {r[0]: r[1] for r in self.db.execute("SELECT list, version FROM site_version")}

    @locked
    def set_site_version(self, kind: str, version: int) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO site_version VALUES (?,?,?)", (kind, int(version), now_text()))

    @locked
    def data_version(self) -> int:
        """Changes committed by other connections (the gate's registrations, `edge ledger import`) bump it."""
        return self.db.execute("PRAGMA data_version").fetchone()[0]


# ---------------------------------------------------------------- import files

def read_rows(path) -> list[dict]:
    """Rows of a CSV (header = field names) or JSON (list of objects / one object) file."""
    p = Path(path)
    raw = p.read_bytes()
    text = raw.decode("utf-8-sig")
    if p.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError as e:
            from edge.errors import ValidationError
            raise ValidationError([("(file)", "not valid JSON: %s" % e)], str(p)) from None
        rows = data if isinstance(data, list) else [data]
        if not all(isinstance(r, dict) for r in rows):
            from edge.errors import ValidationError
            raise ValidationError([("(file)", "must hold a JSON object or a list of objects")], str(p))
        return rows
    reader = csv.DictReader(io.StringIO(text))
    return [{k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items()
             if k is not None and v not in (None, "")} for row in reader]


def load_image(value, base_dir: Path) -> tuple[bytes | None, str | None]:
    """An image field's JPEG bytes from a path or a data URL. → (bytes, None) or (None, rule)."""
    if isinstance(value, str) and value.startswith("data:image/"):
        try:
            jpeg = base64.b64decode(value.split(",", 1)[1], validate=True)
        except (ValueError, IndexError):
            return None, "data URL is not valid Base64"
    else:
        p = Path(str(value))
        if not p.is_absolute():
            p = base_dir / p
        try:
            jpeg = p.read_bytes()
        except OSError as e:
            return None, "cannot read image %s (%s)" % (p, e.strerror or e)
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


def prepare(kind: str, rows: list[dict], base_dir, enterprise_id: str, ledger: Ledger) -> list[tuple[dict, dict]]:
    """Check every row of an import and turn it into (fields, images); raise ValidationError
    listing every problem ("row N field: rule") before anything is written."""
    from edge.domain import ids
    from edge.errors import ValidationError
    table, idf, vkind, image_fields = KINDS[kind]
    validate = _validator()
    problems: list[tuple[str, str]] = []
    out: list[tuple[dict, dict]] = []
    prefix = enterprise_id if kind == "vehicles" else "JX" + enterprise_id
    next_seq = ledger.next_seq(kind, prefix)
    seen: set[str] = set()
    for n, row in enumerate(rows, 1):
        where = "row %d " % n
        fields = {k: v for k, v in row.items() if k not in image_fields}
        fields.setdefault("enterpriseId", enterprise_id)
        if not fields.get(idf):
            try:
                fields[idf] = (ids.vehicle_id if kind == "vehicles" else ids.machinery_id)(enterprise_id, next_seq)
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
