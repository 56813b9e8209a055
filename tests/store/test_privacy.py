"""Plates and photos are personal data: the state dir is 0700, databases and media 0600 —
whatever the umask, for a new board and for one whose files were made wider before."""
import os
import stat

from edge.store.ledger import Ledger
from edge.store.outbox import Outbox
from edge.store.platform_cache import PlatformCache
from outbox_helpers import make_record, photo


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_state_dir_databases_and_media_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        state = tmp_path / "state"
        with Outbox(state, ["yunnan"]) as box:
            box.put(make_record(1), {"carHeadImg": photo(1), "carImg": photo(2)})
            refs = list(box.media_of(make_record(1)["recordId"]).values())
            files = [box.media.path(r) for r in refs]
        Ledger.open(state).close()
        PlatformCache.open(state).close()
    finally:
        os.umask(old)
    assert mode(state) == 0o700
    for name in ("outbox.db", "ledger.sqlite", "platform_cache.sqlite"):
        assert mode(state / name) == 0o600, name
    for f in files:
        assert mode(f) == 0o600 and mode(f.parent) == 0o700
    assert mode(state / "media") == 0o700


def test_an_existing_wide_state_dir_and_database_are_narrowed(tmp_path):
    state = tmp_path / "state"
    with Outbox(state, ["yunnan"]) as box:        # made by an older version, or by hand
        box.put(make_record(2))
    os.chmod(state, 0o755)
    os.chmod(state / "outbox.db", 0o644)
    with Outbox(state, ["yunnan"]) as box:
        assert box.get(make_record(2)["recordId"]) is not None
    assert mode(state) == 0o700 and mode(state / "outbox.db") == 0o600
