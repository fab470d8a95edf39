"""Bulk API 1.0 (``/services/async/{version}/job``): jobs, batches, results, in XML, CSV and JSON.

Kept apart from Bulk API 2.0 (:mod:`fakeforce.bulk`) because the two APIs differ in shape everywhere (XML
jobInfo, batches, ``exceptionCode`` errors, ``X-SFDC-Session``), but a batch's rows are applied with the same
per-row code as a 2.0 ingest job, so both write the org identically. The job store hangs off the running
:class:`~fakeforce.instance.Fakeforce` (see :func:`store_for`).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from .engine import Bulk1

if TYPE_CHECKING:
    from ..instance import Fakeforce

_STORES: "weakref.WeakKeyDictionary[object, Bulk1]" = weakref.WeakKeyDictionary()


def store_for(ff: "Fakeforce") -> Bulk1:
    """The Bulk 1.0 jobs of one running fakeforce, made on first use (keyed by its org, so a new org starts
    empty); held outside :class:`Fakeforce` so that the instance needs no change to carry them."""
    store = _STORES.get(ff.org)
    if store is None:
        store = _STORES.setdefault(ff.org, Bulk1(ff.org, ff.bulk))
    return store


def forget(ff: "Fakeforce") -> None:
    """Drop every Bulk 1.0 job of ``ff`` (a reset: a fresh org has no jobs)."""
    _STORES.pop(ff.org, None)


__all__ = ["Bulk1", "forget", "store_for"]
