"""A peer parser's SOQL corpus (tests/data/soql-corpus.json) run against fakeforce objects.

Each case carries our own verdict, checked against Salesforce's SOQL documentation: a valid query answers
rows (never an error), an invalid one answers Salesforce's error (never rows, never an unexpected
exception, which the REST layer would turn into a 500). ``gap`` marks a valid query fakeforce does not
support yet: it must still answer a Salesforce error, and the docs list it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fakeforce import soql
from fakeforce.errors import SalesforceError
from fakeforce.org import Org

DATA = json.loads((Path(__file__).parent / "data" / "soql-corpus.json").read_text())
CASES = DATA["cases"]


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """An org with the peer corpus's objects loaded, and a row in each queried object so rows can come back."""
    path = tmp_path_factory.mktemp("corpus") / "schema.json"
    path.write_text(json.dumps(DATA["schema"]))
    org = Org(schema_files=[path])
    return org


def _outcome(org: Org, query: str) -> tuple[str, str | None]:
    """("rows", None) or ("error", code); anything else raises, failing the test."""
    try:
        soql.query(org, query)
    except SalesforceError as exc:
        assert exc.status == 400, (exc.status, exc)
        return "error", exc.error_code
    return "rows", None


@pytest.mark.parametrize("case", CASES, ids=[c["source"] for c in CASES])
def test_corpus_case(org: Org, case: dict) -> None:
    kind, code = _outcome(org, case["query"])
    if case["valid"] and not case.get("gap"):
        assert kind == "rows", f"valid query refused ({code}): {case['reason']}"
    else:
        assert kind == "error", f"invalid query answered rows: {case['reason']}"
        if case.get("code"):
            assert code == case["code"], case["reason"]


def test_corpus_rates(org: Org) -> None:
    """The acceptance and rejection rates, printed for the report; gaps stay few."""
    valid = [c for c in CASES if c["valid"]]
    invalid = [c for c in CASES if not c["valid"]]
    accepted = sum(_outcome(org, c["query"])[0] == "rows" for c in valid)
    refused = sum(_outcome(org, c["query"])[0] == "error" for c in invalid)
    print(f"\nSOQL corpus: {accepted}/{len(valid)} valid accepted, {refused}/{len(invalid)} invalid refused")
    assert refused == len(invalid)
    assert accepted == len(valid) - sum(bool(c.get("gap")) for c in valid)
