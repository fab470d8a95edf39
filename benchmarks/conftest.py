"""Orgs of 1k, 10k and 100k Contacts, built once per benchmark session."""

from __future__ import annotations

import pytest

from orgdata import build_org
from fakeforce.org import Org

_orgs: dict[int, Org] = {}


@pytest.fixture(scope="session")
def orgs():
    def get(n: int) -> Org:
        if n not in _orgs:
            _orgs[n] = build_org(n)
        return _orgs[n]

    return get
