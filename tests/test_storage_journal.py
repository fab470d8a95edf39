"""The data file as snapshot + journal: torn tails dropped whole, compaction, group commit, rollbacks not persisted."""

import json
import os
import threading
import time

import pytest

from fakeforce import journal, storage
from fakeforce.org import Org
from fakeforce.store import Store


def _journal_files(path):
    return [p for _, p in journal.journals(path)]


def test_a_write_appends_one_frame_and_leaves_the_snapshot_alone(tmp_path):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    before = path.read_bytes()
    (last,) = _journal_files(path)
    size = last.stat().st_size
    rid = org.create("Contact", {"LastName": "Appended"})
    assert path.read_bytes() == before
    entries, end = journal.decode(last.read_bytes())
    assert end == last.stat().st_size > size
    assert [op[1] for op in entries[-1]["o"] if op[0] == "Contact"] == [rid]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_torn_last_frame_is_dropped_whole_and_the_rest_replays(tmp_path, damage):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    kept = org.create("Contact", {"LastName": "Kept"})
    torn = org.create("Contact", {"LastName": "Torn"})
    (last,) = _journal_files(path)
    data = last.read_bytes()
    frame_start = _last_frame_offset(data)
    if damage == "truncate":
        last.write_bytes(data[:-3])
    elif damage == "flip":  # still valid JSON: only the checksum can tell
        at = data.rindex(b"Torn")
        last.write_bytes(data[:at] + b"Tosn" + data[at + 4:])
    else:
        last.write_bytes(data + b"\x00\x00\x01")
    again = Org(data_path=str(path))
    assert again.store.get("Contact", kept) is not None
    assert (again.store.get("Contact", torn) is None) == (damage != "garbage")
    assert last.stat().st_size == (frame_start if damage != "garbage" else len(data))
    after = again.create("Contact", {"LastName": "After"})  # appends after the cut, replayable
    assert Org(data_path=str(path)).store.get("Contact", after) is not None


def _last_frame_offset(data: bytes) -> int:
    offset = last = 0
    while offset < len(data):
        last = offset
        offset += journal.HEADER.size + journal.HEADER.unpack_from(data, offset)[0]
    return last


def test_compaction_folds_the_journal_into_the_snapshot(tmp_path):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    org.store.storage.compact_bytes = 2_000
    ids = [org.create("Contact", {"LastName": f"C{i}", "Description": "d" * 300}) for i in range(60)]
    org.store.storage._worker.join()
    assert org.store.storage.compactions >= 1
    snapshot = json.loads(path.read_bytes())
    assert journal.generation_of(snapshot, storage.META_TABLE) >= 1
    assert len(_journal_files(path)) == 1  # the folded journals are gone
    org.store.close()
    assert _journal_files(path)[0].stat().st_size == 0  # close folds the rest
    again = Org(data_path=str(path))
    assert {r["Id"] for r in again.store.records("Contact")} == set(ids)


def test_a_crash_between_rotation_and_snapshot_loses_nothing(tmp_path, monkeypatch):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    first = org.create("Contact", {"LastName": "Before"})

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-compaction")

    monkeypatch.setattr(storage, "write_json_atomically", crash)
    with pytest.raises(KeyboardInterrupt):
        org.store.storage.compact()
    second = org.create("Contact", {"LastName": "After"})
    assert len(_journal_files(path)) == 2
    monkeypatch.undo()
    again = Org(data_path=str(path))  # the old snapshot, then both journals in order
    assert again.store.get("Contact", first) and again.store.get("Contact", second)


def test_a_legacy_whole_file_loads_and_continues(tmp_path):
    path = tmp_path / "org.json"
    org = Org()
    rid = org.create("Contact", {"LastName": "Legacy"})
    path.write_text(json.dumps(org.store.snapshot()))
    again = Org(data_path=str(path))
    assert again.store.get("Contact", rid)["LastName"] == "Legacy"


def test_a_rolled_back_savepoint_is_not_persisted(tmp_path):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    with org.store.transaction():
        kept = org.create("Contact", {"LastName": "Kept"})
        with pytest.raises(Exception):
            with org.store.transaction():
                org.create("Contact", {"LastName": "Gone"})
                org.store.set_meta("probe", 1)
                org.create("Contact", {"Email": "no last name"})
    again = Org(data_path=str(path))
    assert [r["LastName"] for r in again.store.records("Contact")] == ["Kept"]
    assert again.store.meta("probe") is None
    assert again.store.get("Contact", kept)


def test_a_reset_is_persisted(tmp_path):
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    org.create("Contact", {"LastName": "Wiped"})
    org.reset()
    assert Org(data_path=str(path)).store.count("Contact") == 0


def test_concurrent_commits_share_fsyncs(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "org.json"))
    start = store.storage.fsyncs
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:  # a slow disk: commits pile up behind each fsync
        time.sleep(0.003)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)

    def writer(n: int) -> None:
        for i in range(50):
            with store.transaction():
                store.insert("T", f"{n}-{i}", {"Id": f"{n}-{i}"})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.storage.fsyncs - start < 200  # group commit: an fsync covers the commits waiting for it
    store.close()
    assert Store(str(tmp_path / "org.json")).count("T") == 400


def test_snapshot_is_a_consistent_copy(tmp_path):
    org = Org(data_path=str(tmp_path / "org.json"))
    rid = org.create("Contact", {"LastName": "Snap"})
    snap = org.store.snapshot()
    org.create("Contact", {"LastName": "Later"})
    assert list(snap["Contact"]) == [rid]
    assert journal.GENERATION_KEY not in snap["_meta"]


@pytest.mark.parametrize("failing", ["open", "fsync"])
def test_a_failed_rotation_breaks_the_writer_loudly(tmp_path, monkeypatch, failing):
    """A rotation that cannot open the new file (or fsync the old) must not leave commits going to a
    descriptor number some other file may reuse: every later commit fails instead."""
    from fakeforce import journal_writer
    writer = journal_writer.JournalWriter(tmp_path / "org.json.journal.0")
    writer.wait_durable(writer.append(journal.encode([("t", "1", {"a": 1})])))
    real_open, real_fsync = os.open, os.fsync

    def bad_open(path, flags, mode=0o777, **kw):
        if str(path).endswith(".journal.1"):
            raise OSError(24, "Too many open files")
        return real_open(path, flags, mode, **kw)

    def bad_fsync(fd):
        raise OSError(5, "I/O error")

    if failing == "open":
        monkeypatch.setattr(journal_writer.os, "open", bad_open)
    else:
        monkeypatch.setattr(journal_writer.os, "fsync", bad_fsync)
    with pytest.raises(OSError):
        writer.rotate(tmp_path / "org.json.journal.1")
    monkeypatch.setattr(journal_writer.os, "open", real_open)
    monkeypatch.setattr(journal_writer.os, "fsync", real_fsync)
    with open(tmp_path / "unrelated.log", "wb") as other:
        with pytest.raises(journal_writer.JournalBroken):
            writer.wait_durable(writer.append(journal.encode([("t", "2", {"b": 2})])))
    assert (tmp_path / "unrelated.log").read_bytes() == b""
    writer.close()


def test_a_corrupt_middle_frame_is_copied_aside_before_the_cut(tmp_path, caplog):
    """Start-up still keeps the frames before the bad one and cuts the rest, but first copies the whole
    journal to ``<name>.corrupt-<time>`` and names it in an ERROR."""
    path = tmp_path / "org.json"
    org = Org(data_path=str(path))
    kept = org.create("Contact", {"LastName": "Kept"})
    org.create("Contact", {"LastName": "Middle"})
    org.create("Contact", {"LastName": "Later"})
    (last,) = _journal_files(path)
    data = last.read_bytes()
    at = data.rindex(b"Middle")
    last.write_bytes(data[:at] + b"Middla" + data[at + 6:])
    with caplog.at_level("ERROR", logger="fakeforce.storage"):
        again = Org(data_path=str(path))
    assert again.store.get("Contact", kept) is not None
    (copy,) = tmp_path.glob("org.json.journal.*.corrupt-*")
    assert copy.read_bytes() == data[:at] + b"Middla" + data[at + 6:]
    assert any(copy.name in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert len(_journal_files(path)) == 1 and last.stat().st_size < len(data)
