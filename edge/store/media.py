"""Photos (and later short clips) as files beside the outbox DB, written so a power cut
cannot leave a half-written file under a name a record points at.

A file is written to a temp name in its final directory, fsynced, renamed into place and the
directory fsynced (rename is atomic on POSIX filesystems; the directory fsync makes the new
name itself durable). Files are content-addressed inside a per-day folder:

    media/20261122/<sha256 hex>.jpg        ref = "20261122/<sha256 hex>.jpg"

so the ref carries its own checksum (verified on every read: a corrupt photo is reported,
never silently sent), re-storing the same bytes writes nothing, and retention can drop whole
old days. Orphans (files written by a put that crashed before its DB commit) are swept by
`sweep_orphans` once they are old enough that no live put can still be about to commit them.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from edge.store.atomic import write_atomic

_REF = re.compile(r"^(\d{8})/([0-9a-f]{64})\.([a-z0-9]{1,5})$")
CLIP_EXTS = frozenset({"mp4", "mkv", "avi", "ts"})


class MediaError(Exception):
    """A stored file is missing or does not match its checksum."""


def kind_of(ref: str) -> str:
    """'clip' or 'photo' (retention keeps them for different periods)."""
    return "clip" if ref.rsplit(".", 1)[-1] in CLIP_EXTS else "photo"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MediaStore:
    """Files are 0600 and folders 0700: photos of plates are personal data."""

    def __init__(self, root: str | os.PathLike, create: bool = True):
        self.root = Path(root)
        if not self.root.is_dir() and create:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            fsync_dir(self.root.parent)

    @staticmethod
    def count_files(root, stop_at: int | None = None) -> int:
        """Stored files under a media folder (temp files excluded), counting stops at stop_at."""
        n = 0
        try:
            days = os.listdir(root)
        except OSError:
            return 0
        for day in days:
            folder = os.path.join(root, day)
            if not (len(day) == 8 and day.isdigit() and os.path.isdir(folder)):
                continue
            for name in os.listdir(folder):
                if not name.startswith("."):
                    n += 1
                    if stop_at and n >= stop_at:
                        return n
        return n

    # ------------------------------------------------------------ writing
    def put_many(self, blobs: list[tuple[bytes, str]], day: str) -> list[str]:
        """Store each (data, ext) durably under `day` (YYYYMMDD); return their refs.

        One directory fsync covers every file of the batch (a record's two photos, or a batch
        of records): each file is fsynced before its rename, the directory after all renames.
        """
        if not re.fullmatch(r"\d{8}", day):
            raise ValueError("day must be YYYYMMDD, got %r" % day)
        folder = self.root / day
        if not folder.is_dir():
            folder.mkdir(exist_ok=True, mode=0o700)
            fsync_dir(self.root)  # the new folder's name must survive a power cut too
        refs, renamed = [], False
        for data, ext in blobs:
            ext = ext.lower().lstrip(".")
            digest = hashlib.sha256(data).hexdigest()
            ref = "%s/%s.%s" % (day, digest, ext)
            final = folder / ("%s.%s" % (digest, ext))
            refs.append(ref)
            if final.exists() and self._intact(final, digest):
                continue  # content-addressed: same bytes already stored (a re-put)
            write_atomic(final, data, mode=0o600)  # fsynced; on ENOSPC no torn temp file is left
            renamed = True
        if renamed:
            fsync_dir(folder)
        return refs

    @staticmethod
    def _intact(path: Path, digest: str) -> bool:
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest() == digest
        except OSError:
            return False  # unreadable: write it again

    def put(self, data: bytes, ext: str, day: str) -> str:
        return self.put_many([(data, ext)], day)[0]

    # ------------------------------------------------------------ reading
    def path(self, ref: str) -> Path:
        m = _REF.match(ref)
        if not m:
            raise MediaError("not a media reference: %r" % ref)
        return self.root / m.group(1) / ("%s.%s" % (m.group(2), m.group(3)))

    def get(self, ref: str) -> bytes:
        """The file's bytes, checksum-verified; MediaError if missing or corrupt."""
        p = self.path(ref)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise MediaError("%s: file missing" % ref) from None
        expected = _REF.match(ref).group(2)
        if hashlib.sha256(data).hexdigest() != expected:
            raise MediaError("%s: checksum mismatch (file corrupt, %d bytes)" % (ref, len(data)))
        return data

    def verify(self, ref: str) -> str | None:
        """None if intact, else the problem."""
        try:
            self.get(ref)
            return None
        except MediaError as e:
            return str(e)

    def size(self, ref: str) -> int:
        try:
            return self.path(ref).stat().st_size
        except FileNotFoundError:
            return 0

    # ------------------------------------------------------------ deleting
    def delete(self, refs) -> int:
        """Unlink the files; returns bytes freed. No fsync: losing a deletion to a power cut
        only means the file is deleted again by the next sweep."""
        freed = 0
        folders = set()
        for ref in refs:
            p = self.path(ref)
            try:
                freed += p.stat().st_size
                p.unlink()
                folders.add(p.parent)
            except FileNotFoundError:
                pass
        for f in folders:
            try:
                f.rmdir()  # only succeeds when the day is empty
            except OSError:
                pass
        return freed

    def all_refs(self):
        """Every stored file's ref (temp files excluded)."""
        for day in sorted(os.listdir(self.root)):
            folder = self.root / day
            if not (len(day) == 8 and day.isdigit() and folder.is_dir()):
                continue
            for name in os.listdir(folder):
                if not name.startswith("."):
                    yield "%s/%s" % (day, name)

    def sweep_orphans(self, referenced, min_age_s: float = 3600.0, now: float | None = None,
                      last_days: int | None = None) -> int:
        """Delete files (and stale temp files) no record references, older than min_age_s.

        `referenced(ref) -> bool` asks the DB. The age floor keeps a put in another process,
        between writing its photos and committing its row, from losing them. `last_days`
        limits the sweep to the newest day folders (orphans only come from recent crashes,
        so the hourly sweep need not list two years of photos)."""
        now = time.time() if now is None else now
        removed = 0
        days = sorted(d for d in os.listdir(self.root) if not d.startswith("."))
        if last_days is not None:
            days = days[-last_days:]
        for day in days:
            folder = self.root / day
            if not folder.is_dir():
                continue
            for name in os.listdir(folder):
                p = folder / name
                try:
                    if now - p.stat().st_mtime < min_age_s:
                        continue
                except FileNotFoundError:
                    continue
                if name.startswith(".") or not referenced("%s/%s" % (day, name)):
                    p.unlink(missing_ok=True)
                    removed += 1
        return removed
