"""B3's statement handling, pure: the SELECT-only check, placeholder binding (outside string literals only,
values as literals), the row cap (LIMIT added or lowered), and a property test against fakeforce's SOQL
reader: whatever a variable holds, the bound statement matches exactly the record with that value."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.bot.statement import MAX_BOUND, StatementRefused, bind, cap, check_read_only, placeholders, prepare, scan, text
from fakeforce import soql
from fakeforce.server import FakeforceServer


def refused(statement: str, variables: dict | None = None, max_rows: int = 100) -> str:
    with pytest.raises(StatementRefused) as caught:
        prepare(statement, variables or {}, max_rows)
    return caught.value.code


@pytest.mark.parametrize("statement, code", [
    ("DELETE FROM Contact", "NOT_A_SELECT"),
    ("FIND {ann} RETURNING Contact", "NOT_A_SELECT"),
    ("   ", "NOT_A_SELECT"),
    ("(SELECT Id FROM Contact)", "NOT_A_SELECT"),
    ("SELECT Id FROM Contact; SELECT Id FROM Lead", "ONE_STATEMENT_ONLY"),
    ("SELECT Id FROM Contact;", "ONE_STATEMENT_ONLY"),
    ("SELECT Id FROM Contact -- comment", "COMMENT_NOT_ALLOWED"),
    ("SELECT Id FROM Contact // comment", "COMMENT_NOT_ALLOWED"),
    ("SELECT Id /* x */ FROM Contact", "COMMENT_NOT_ALLOWED"),
    ("SELECT Id FROM Contact LIMIT 1 FOR VIEW", "WRITES_NOT_ALLOWED"),
    ("SELECT Id FROM Contact LIMIT 1 FOR REFERENCE", "WRITES_NOT_ALLOWED"),
    ("select id from contact for update", "WRITES_NOT_ALLOWED"),
    ("SELECT Title FROM KnowledgeArticleVersion UPDATE VIEWSTAT", "WRITES_NOT_ALLOWED"),
    ("SELECT Id, (SELECT Id FROM Contacts FOR VIEW) FROM Account", "WRITES_NOT_ALLOWED"),
    ("SELECT Id FROM Contact WHERE Name = 'open", "UNTERMINATED_STRING"),
    ("SELECT Id FROM Contact WHERE Name = 'a\\'", "UNTERMINATED_STRING"),
    ('SELECT Id FROM Contact WHERE Name = "a"', "DOUBLE_QUOTE"),
    ("SELECT Id FROM Contact WHERE (Name = 'a'", "UNBALANCED_PARENTHESES"),
    ("SELECT Id FROM Contact WHERE Name = 'a')", "UNBALANCED_PARENTHESES"),
    ("SELECT Id FROM Contact WHERE Name = : x", "BAD_PLACEHOLDER"),
    ("SELECT Id FROM Contact LIMIT :n", "UNKNOWN_VARIABLE"),
    ("SELECT Id FROM Contact LIMIT ten", "BAD_LIMIT"),
])
def test_refused_before_salesforce(statement: str, code: str) -> None:
    assert refused(statement) == code


def test_quoted_semicolons_comments_and_keywords_are_text() -> None:
    sent, _ = prepare("SELECT Id FROM Contact WHERE Title = '; -- /* FOR VIEW \\' UPDATE :x' LIMIT 1", {}, 10)
    assert sent == "SELECT Id FROM Contact WHERE Title = '; -- /* FOR VIEW \\' UPDATE :x' LIMIT 1"
    check_read_only(scan("SELECT Format__c, Formula__c, Updated__c FROM Contact"))  # words, not FOR / UPDATE


def test_placeholders_only_outside_strings_and_never_before_a_digit() -> None:
    tokens = scan("SELECT Id FROM Contact WHERE Email = :email AND Title = ':title' AND CreatedDate = "
                  "LAST_N_DAYS:30 AND LastModifiedDate > 2026-01-01T10:00:00+01:00 AND Id IN:ids AND x=:a.b")
    assert placeholders(tokens) == ["email", "ids", "a.b"]


def test_values_bound_as_literals() -> None:
    tokens = scan("SELECT Id FROM Contact WHERE Title = :t AND Email = :e AND Count__c = :n AND Ok__c = :b "
                  "AND Id IN :ids AND City__c = :visitor.city")
    bound = text(bind(tokens, {"t": "x' OR Name != '", "e": "a\\b", "n": 3, "b": False,
                               "ids": ["1", "2'"], "visitor": {"city": "Zoë"}}))
    assert bound == ("SELECT Id FROM Contact WHERE Title = 'x\\' OR Name != \\'' AND Email = 'a\\\\b' "
                     "AND Count__c = 3 AND Ok__c = false AND Id IN ('1', '2\\'') AND City__c = 'Zoë'")


def test_a_flat_dotted_variable_wins_over_a_nested_one() -> None:
    assert "'flat'" in prepare("SELECT Id FROM Contact WHERE Email = :visitor.email",
                               {"visitor.email": "flat", "visitor": {"email": "nested"}}, 5)[0]


@pytest.mark.parametrize("value, code", [(None, "EMPTY_VARIABLE"), ("  ", "EMPTY_VARIABLE"), ([], "EMPTY_VARIABLE"),
                                         ({"a": 1}, "BAD_VARIABLE"), (float("nan"), "BAD_VARIABLE"),
                                         ([["a"]], "BAD_VARIABLE"), (["a", None], "EMPTY_VARIABLE")])
def test_unusable_values_are_refused(value, code) -> None:
    assert refused("SELECT Id FROM Contact WHERE Email = :v", {"v": value}) == code


def test_unknown_placeholder_names_it() -> None:
    with pytest.raises(StatementRefused, match=":mail has no variable.*known: email"):
        prepare("SELECT Id FROM Contact WHERE Email = :mail", {"email": "x"}, 5)


@pytest.mark.parametrize("statement, sent, cut", [
    ("SELECT Id FROM Contact", "SELECT Id FROM Contact LIMIT 11", 10),
    ("SELECT Id FROM Contact  \n", "SELECT Id FROM Contact LIMIT 11", 10),
    ("SELECT Id FROM Contact LIMIT 500", "SELECT Id FROM Contact LIMIT 11", 10),
    ("SELECT Id FROM Contact limit 10", "SELECT Id FROM Contact limit 10", None),
    ("SELECT Id FROM Contact LIMIT 3", "SELECT Id FROM Contact LIMIT 3", None),
    ("SELECT Id FROM Contact ORDER BY Name OFFSET 5", "SELECT Id FROM Contact ORDER BY Name LIMIT 11 OFFSET 5", 10),
    ("SELECT Id FROM Contact LIMIT 50 OFFSET 5", "SELECT Id FROM Contact LIMIT 11 OFFSET 5", 10),
    ("SELECT Id, (SELECT Id FROM Contacts LIMIT 200) FROM Account",
     "SELECT Id, (SELECT Id FROM Contacts LIMIT 200) FROM Account LIMIT 11", 10),
    ("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 99)",
     "SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 99) LIMIT 11", 10),
    ("SELECT Name FROM Contact WHERE Title = 'LIMIT 1'", "SELECT Name FROM Contact WHERE Title = 'LIMIT 1' LIMIT 11", 10),
    ("SELECT COUNT() FROM Contact", "SELECT COUNT() FROM Contact", None),
    ("SELECT COUNT(Id) c FROM Contact", "SELECT COUNT(Id) c FROM Contact LIMIT 11", 10),
])
def test_row_cap(statement: str, sent: str, cut: int | None) -> None:
    assert prepare(statement, {}, 10) == (sent, cut)


def test_row_cap_on_a_bound_limit() -> None:
    assert cap(bind(scan("SELECT Id FROM Contact LIMIT :n"), {"n": 80}), 10)[1] == 10
    assert refused("SELECT Id FROM Contact LIMIT :n", {"n": "5"}) == "BAD_LIMIT"


def test_bound_statement_must_fit_a_query_url() -> None:
    assert refused("SELECT Id FROM Contact WHERE Title = :t", {"t": "x" * MAX_BOUND}) == "STATEMENT_TOO_LONG"


# -- the property: no value changes the statement ------------------------------------------------------
@pytest.fixture(scope="module")
def org():
    with FakeforceServer() as server:
        yield server.org


VALUES = st.text(alphabet=st.characters(min_codepoint=32, exclude_categories=("Cs", "Cc")), min_size=1,
                 max_size=60).filter(lambda v: v.strip() == v and v.strip())


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(value=VALUES | st.sampled_from(["x' OR Name != '", "\\' OR Title != \\'", "a\\", "')", "%_", ":t",
                                        "' OR Title LIKE '%", "x\\\\' OR 'a'='a"]))
def test_any_value_matches_only_its_own_record(org, value: str) -> None:
    """A Contact titled ``value`` and a decoy: the bound statement returns the one and never the other."""
    admin = org.admin_user_id
    mine = org.create("Contact", {"LastName": "Mine", "Title": value}, admin)
    decoy = org.create("Contact", {"LastName": "Decoy", "Title": value + "!"}, admin)
    try:
        sent, _ = prepare("SELECT Id FROM Contact WHERE Title = :t AND LastName != 'Decoy'", {"t": value}, 10)
        found = [r["Id"] for r in soql.query(org, sent)[1]]
        sent, _ = prepare("SELECT Id FROM Contact WHERE Title = :t", {"t": value + "!"}, 10)
        found_decoy = [r["Id"] for r in soql.query(org, sent)[1]]
        assert set(found) <= {mine} and set(found_decoy) <= {decoy}  # never another record
        if '"' not in value:  # fakeforce keeps \" as two characters where Salesforce reads one '"'
            assert found == [mine] and found_decoy == [decoy]
    finally:
        org.delete("Contact", mine)
        org.delete("Contact", decoy)
