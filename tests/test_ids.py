import pytest
from hypothesis import given, strategies as st

from fakeforce.ids import BASE62, checksum, is_id, make_id, to18

REAL_IDS = ["0015500001QdQWaAAN", "005i0000002MUqLAAW", "00Di0000000icUBEAY", "a00E0000004D5lsIAC",
            "01gRO0000016PIAYA2", "012000000000000AAA"]


@pytest.mark.parametrize("real", REAL_IDS)
def test_checksum_matches_real_org_ids(real):
    assert checksum(real[:15]) == real[15:]
    assert to18(real[:15]) == real
    assert to18(real) == real


def test_bad_ids_are_refused():
    for bad in ["", "001", "0015500001QdQWa!", "0015500001QdQWaAAA", 15, None, "0015500001QdQWaAANx"]:
        assert not is_id(bad)


def test_make_id_uses_prefix_and_is_unique():
    ids = {make_id("003", "5g", n) for n in range(1, 2000)}
    assert len(ids) == 1999
    assert all(i.startswith("0035g") and len(i) == 18 for i in ids)


@given(st.text(alphabet=BASE62, min_size=15, max_size=15))
def test_18_char_ids_are_unique_case_insensitively(id15):
    full = to18(id15)
    swapped = id15.swapcase()
    if swapped != id15:
        assert to18(swapped).lower() != full.lower()
