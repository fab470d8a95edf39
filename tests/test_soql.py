"""SOQL over HTTP: rows, shapes and errors as Salesforce gives them."""

import pytest


@pytest.fixture
def api(fakeforce):
    with fakeforce.client(version="62.0") as client:
        yield client


@pytest.fixture
def org(fakeforce):
    refs = fakeforce.seed({
        "users": [{"ref": "agent", "Username": "agent@example.com", "LastName": "Agent", "FirstName": "Alex"}],
        "records": {
            "Account": [{"ref": "acme", "Name": "Acme", "Industry": "Technology", "NumberOfEmployees": 50},
                        {"ref": "globex", "Name": "Globex", "Industry": "Energy", "NumberOfEmployees": 10},
                        {"ref": "empty", "Name": "Empty Inc"}],
            "Contact": [
                {"ref": "jane", "FirstName": "Jane", "LastName": "Doe", "Email": "Jane@Example.com",
                 "AccountId": "@acme", "CreatedDate": "2026-01-10T10:00:00Z"},
                {"ref": "john", "FirstName": "John", "LastName": "Roe", "Email": "john@example.com",
                 "AccountId": "@acme", "OwnerId": "@agent", "CreatedDate": "2026-02-10T10:00:00Z"},
                {"ref": "ann", "FirstName": "Ann", "LastName": "Zed", "AccountId": "@globex",
                 "CreatedDate": "2026-03-10T10:00:00Z"},
                {"ref": "orphan", "LastName": "Alone", "Email": "alone@example.org",
                 "CreatedDate": "2026-03-11T10:00:00Z"},
            ],
            "Case": [{"ref": "c1", "Subject": "Broken", "ContactId": "@jane", "AccountId": "@acme",
                      "Priority": "High"},
                     {"Subject": "Slow", "ContactId": "@jane", "AccountId": "@acme", "Status": "Closed"}],
            "Task": [{"Subject": "Call back", "WhatId": "@c1", "WhoId": "@jane"},
                     {"Subject": "Visit", "WhatId": "@acme"}],
        }})
    return refs


def q(api, soql, path="/query", **headers):
    r = api.get(path, params={"q": soql}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def err(api, soql):
    r = api.get("/query", params={"q": soql})
    assert r.status_code == 400, r.text
    body = r.json()
    assert isinstance(body, list) and len(body) == 1
    return body[0]


def test_records_shape_and_relationships(api, org):
    body = q(api, "SELECT Id, Name, Account.Name, Account.Owner.Name FROM Contact WHERE LastName IN ('Doe', 'Alone') "
                  "ORDER BY LastName")
    assert body["totalSize"] == 2 and body["done"] is True and "nextRecordsUrl" not in body
    alone, jane = body["records"]
    assert list(jane) == ["attributes", "Id", "Name", "Account"]
    assert jane["attributes"] == {"type": "Contact", "url": f"/services/data/v62.0/sobjects/Contact/{org['jane']}"}
    assert jane["Account"]["Name"] == "Acme"
    assert jane["Account"]["attributes"]["type"] == "Account"
    assert jane["Account"]["Owner"]["Name"] == "Fakeforce Admin"
    assert alone["Account"] is None


def test_case_insensitive_names_and_values(api, org):
    body = q(api, "select id, EMAIL from contact where email = 'jane@example.COM'")
    assert body["records"][0]["Email"] == "Jane@Example.com"
    assert list(body["records"][0]) == ["attributes", "Id", "Email"]
    assert q(api, "SELECT Id FROM Contact WHERE Email LIKE 'JOHN%'")["totalSize"] == 1
    assert q(api, "SELECT Id FROM Contact WHERE Email LIKE '%example.com'")["totalSize"] == 2


def test_child_subquery(api, org):
    body = q(api, "SELECT Name, (SELECT LastName FROM Contacts ORDER BY LastName DESC LIMIT 5) FROM Account "
                  "ORDER BY Name")
    acme, empty, globex = body["records"]
    assert acme["Contacts"]["totalSize"] == 2 and acme["Contacts"]["done"] is True
    assert [c["LastName"] for c in acme["Contacts"]["records"]] == ["Roe", "Doe"]
    assert empty["Contacts"] is None
    assert globex["Contacts"]["records"][0]["attributes"]["type"] == "Contact"


def test_count_and_aggregates(api, org):
    assert q(api, "SELECT COUNT() FROM Contact") == {"totalSize": 4, "done": True, "records": []}
    body = q(api, "SELECT AccountId, COUNT(Id), COUNT(Email) emails FROM Contact GROUP BY AccountId "
                  "ORDER BY COUNT(Id) DESC")
    first = body["records"][0]
    assert first == {"attributes": {"type": "AggregateResult"}, "AccountId": org["acme"], "expr0": 2, "emails": 2}
    body = q(api, "SELECT SUM(NumberOfEmployees) total, MAX(Name), MIN(NumberOfEmployees), AVG(NumberOfEmployees) "
                  "FROM Account")
    row = body["records"][0]
    assert row["total"] == 60 and row["expr0"] == "Globex" and row["expr1"] == 10 and row["expr2"] == 30
    body = q(api, "SELECT Industry, COUNT(Id) c FROM Account GROUP BY Industry HAVING COUNT(Id) > 0 "
                  "ORDER BY Industry NULLS LAST")
    assert [r["Industry"] for r in body["records"]] == ["Energy", "Technology", None]
    body = q(api, "SELECT COUNT_DISTINCT(AccountId) FROM Contact")
    assert body["records"][0]["expr0"] == 2


def test_rollup(api, org):
    body = q(api, "SELECT Industry, COUNT(Id) FROM Account GROUP BY ROLLUP(Industry)")
    rows = {(r["Industry"], r["expr0"]) for r in body["records"]}
    assert (None, 3) in rows and ("Technology", 1) in rows


def test_semi_and_anti_joins(api, org):
    body = q(api, "SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Email != null) "
                  "ORDER BY Name")
    assert [r["Name"] for r in body["records"]] == ["Acme"]
    body = q(api, "SELECT Name FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact) ORDER BY Name")
    assert [r["Name"] for r in body["records"]] == ["Empty Inc"]


def test_boolean_logic_needs_parentheses(api, org):
    body = q(api, "SELECT LastName FROM Contact WHERE (LastName = 'Doe' OR LastName = 'Roe') AND NOT Email LIKE "
                  "'john%'")
    assert [r["LastName"] for r in body["records"]] == ["Doe"]
    e = err(api, "SELECT Id FROM Contact WHERE LastName = 'Doe' OR LastName = 'Roe' AND Email = null")
    assert e["errorCode"] == "MALFORMED_QUERY"


def test_order_by_nulls_and_offset(api, org):
    names = [r["Email"] for r in q(api, "SELECT Email FROM Contact ORDER BY Email")["records"]]
    assert names[0] is None and names[1:] == ["alone@example.org", "Jane@Example.com", "john@example.com"]
    names = [r["Email"] for r in q(api, "SELECT Email FROM Contact ORDER BY Email DESC")["records"]]
    assert names[-1] is None
    names = [r["Email"] for r in q(api, "SELECT Email FROM Contact ORDER BY Email ASC NULLS LAST LIMIT 2 OFFSET 1")
             ["records"]]
    assert names == ["Jane@Example.com", "john@example.com"]


def test_dates_and_datetimes(api, org):
    assert q(api, "SELECT Id FROM Contact WHERE CreatedDate > 2026-02-01T00:00:00Z")["totalSize"] == 3
    assert q(api, "SELECT Id FROM Contact WHERE CreatedDate >= 2026-03-10T10:00:00.000+00:00")["totalSize"] == 2
    e = err(api, "SELECT Id FROM Contact WHERE CreatedDate > 2026-02-01")
    assert e["errorCode"] == "INVALID_FIELD" and "dateTime" in e["message"]
    assert q(api, "SELECT Id FROM Contact WHERE CreatedDate < LAST_N_DAYS:30")["totalSize"] >= 0
    assert q(api, "SELECT CALENDAR_MONTH(CreatedDate) m, COUNT(Id) FROM Contact GROUP BY "
                  "CALENDAR_MONTH(CreatedDate) ORDER BY CALENDAR_MONTH(CreatedDate)")["records"][0]["m"] == 1


def test_date_literals_follow_the_clock(api, fakeforce, org):
    with fakeforce.control() as control:
        control.post("/clock", json={"set": "2026-03-12T12:00:00Z", "freeze": True})
    assert q(api, "SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:2")["totalSize"] == 2
    assert q(api, "SELECT Id FROM Contact WHERE CreatedDate = THIS_MONTH")["totalSize"] == 2
    assert q(api, "SELECT Id FROM Contact WHERE CreatedDate = LAST_MONTH")["totalSize"] == 1
    assert q(api, "SELECT Id FROM Contact WHERE CreatedDate < THIS_YEAR")["totalSize"] == 0
    assert err(api, "SELECT Id FROM Contact WHERE CreatedDate = LAST_N_FORTNIGHTS:2")["errorCode"] == \
        "MALFORMED_QUERY"


def test_polymorphic_and_typeof(api, org):
    body = q(api, "SELECT Subject, What.Name, What.Type, Who.Name FROM Task ORDER BY Subject")
    call, visit = body["records"]
    assert call["What"]["attributes"]["type"] == "Case" and call["What"]["Type"] == "Case"
    assert call["Who"]["Name"] == "Jane Doe"
    assert visit["What"]["Name"] == "Acme" and visit["Who"] is None
    body = q(api, "SELECT TYPEOF What WHEN Account THEN Industry WHEN Case THEN Subject, Priority ELSE Name END "
                  "FROM Task ORDER BY Subject")
    call, visit = body["records"]
    assert call["What"] == {"attributes": call["What"]["attributes"], "Subject": "Broken", "Priority": "High"}
    assert visit["What"]["Industry"] == "Technology"


def test_fields_function(api, org):
    body = q(api, "SELECT FIELDS(STANDARD) FROM Account WHERE Name = 'Acme'")
    assert body["records"][0]["Name"] == "Acme" and "Industry" in body["records"][0]
    e = err(api, "SELECT FIELDS(ALL) FROM Account")
    assert e["errorCode"] == "MALFORMED_QUERY" and "LIMIT" in e["message"]
    assert q(api, "SELECT FIELDS(ALL) FROM Account LIMIT 200")["totalSize"] == 3


def test_scope_with_and_for_clauses(api, fakeforce, org):
    assert q(api, "SELECT Id FROM Contact USING SCOPE everything WITH SECURITY_ENFORCED FOR VIEW")["totalSize"] == 4
    agent_api = fakeforce.client(version="62.0", token=fakeforce.token("agent@example.com"))
    with agent_api:
        assert q(agent_api, "SELECT Id FROM Contact USING SCOPE mine")["totalSize"] == 1
    assert q(api, "SELECT Id FROM Contact WITH USER_MODE FOR UPDATE")["totalSize"] == 4


def test_query_all_sees_deleted_rows(api, org):
    api.delete(f"/sobjects/Contact/{org['orphan']}")
    assert q(api, "SELECT Id FROM Contact")["totalSize"] == 3
    body = q(api, "SELECT Id, IsDeleted FROM Contact WHERE IsDeleted = true", path="/queryAll/")
    assert body["records"] == [{"attributes": body["records"][0]["attributes"], "Id": org["orphan"],
                                "IsDeleted": True}]


@pytest.mark.parametrize("soql, code, fragment", [
    ("SELECT Id FROM Contactz", "INVALID_TYPE", "sObject type 'Contactz' is not supported."),
    ("SELECT Id, Nmae FROM Contact", "INVALID_FIELD", "No such column 'Nmae' on entity 'Contact'."),
    ("SELECT Acount.Name FROM Contact", "INVALID_FIELD", "Didn't understand relationship 'Acount'"),
    ("SELECT Id FROM Contact WHERE LastName = 5", "INVALID_FIELD", "must be of type string"),
    ("SELECT Id FROM Contact WHERE AccountId = 'nope'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: nope"),
    ("SELECT Id FROM Contact WHERE Description = 'x'", "INVALID_FIELD", "can not be filtered"),
    ("SELECT Name, COUNT(Id) FROM Account", "MALFORMED_QUERY", "Field must be grouped or aggregated: Name"),
    ("SELECT COUNT(), Name FROM Account", "MALFORMED_QUERY", "COUNT()"),
    ("SELECT Id FROM Contact OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000"),
    ("SELECT Id FROM", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT * FROM Contact", "MALFORMED_QUERY", "unexpected token: '*'"),
    ("SELECT Id, (SELECT Id FROM Nothings) FROM Account", "INVALID_TYPE", "Didn't understand relationship 'Nothings'"),
    ("SELECT Id, Id FROM Account", "INVALID_FIELD", "duplicate field selected: Id"),
    ("SELECT Id FROM Contact WHERE Name = \"x\"", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT SUM(Name) FROM Account", "INVALID_FIELD", "does not support aggregate operator SUM"),
    ("", "MALFORMED_QUERY", "A query string has to be specified"),
])
def test_errors(api, org, soql, code, fragment):
    e = err(api, soql)
    assert e["errorCode"] == code
    assert fragment in e["message"]


def test_error_points_at_the_problem(api, org):
    e = err(api, "SELECT Id, Bogus__c FROM Contact")
    assert e["message"] == ("\nSELECT Id, Bogus__c FROM Contact\n           ^\nERROR at Row:1:Column:12\nNo such "
                            "column 'Bogus__c' on entity 'Contact'. If you are attempting to use a custom field, be "
                            "sure to append the '__c' after the custom field name. Please reference your WSDL or "
                            "the describe call for the appropriate names.")


def test_query_locators(api, fakeforce):
    fakeforce.seed({"records": {"Contact": [{"LastName": f"L{i:04d}"} for i in range(450)]}})
    body = q(api, "SELECT LastName FROM Contact ORDER BY LastName", **{"Sforce-Query-Options": "batchSize=200"})
    assert body["totalSize"] == 450 and body["done"] is False and len(body["records"]) == 200
    seen = [r["LastName"] for r in body["records"]]
    url = body["nextRecordsUrl"]
    assert url.startswith("/services/data/v62.0/query/01g") and url.endswith("-200")
    while not body["done"]:
        r = api.get(body["nextRecordsUrl"].removeprefix("/services/data/v62.0"))
        assert r.status_code == 200
        body = r.json()
        assert body["totalSize"] == 450
        seen += [x["LastName"] for x in body["records"]]
    assert seen == [f"L{i:04d}" for i in range(450)]
    r = api.get(url.removeprefix("/services/data/v62.0"))  # exhausted
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    assert api.get("/query/01gBOGUS-200").json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_query_locator_expires_after_15_idle_minutes(api, fakeforce):
    fakeforce.seed({"records": {"Contact": [{"LastName": f"L{i}"} for i in range(250)]}})
    body = q(api, "SELECT Id FROM Contact", **{"Sforce-Query-Options": "batchSize=200"})
    with fakeforce.control() as control:
        control.post("/clock", json={"advance_seconds": 15 * 60 + 1})
    r = api.get(body["nextRecordsUrl"].removeprefix("/services/data/v62.0"))
    assert r.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_default_batch_is_2000(api, fakeforce):
    fakeforce.seed({"records": {"Contact": [{"LastName": f"L{i}"} for i in range(2100)]}})
    body = q(api, "SELECT Id FROM Contact")
    assert len(body["records"]) == 2000 and body["nextRecordsUrl"].endswith("-2000")


def search(api, sosl):
    r = api.get("/search/", params={"q": sosl})
    assert r.status_code == 200, r.text
    return r.json()["searchRecords"]


def test_sosl_finds_customers_by_name_email_and_phone(api, fakeforce, org):
    fakeforce.seed({"records": {
        "Contact": [{"LastName": "Phoneman", "Phone": "+1 (415) 555-0199"}],
        "Lead": [{"LastName": "Doe", "Company": "Prospects", "Email": "lead.doe@example.net"}]}})
    rows = search(api, "FIND {Doe} IN NAME FIELDS RETURNING Contact(Id, Name), Lead(Id, Name, Company)")
    assert [(r["attributes"]["type"], r["Name"]) for r in rows] == [("Contact", "Jane Doe"), ("Lead", "Doe")]
    rows = search(api, "FIND {jane@example.com} IN EMAIL FIELDS RETURNING Contact(Email)")
    assert [r["Email"] for r in rows] == ["Jane@Example.com"]
    rows = search(api, "FIND {4155550199} IN PHONE FIELDS RETURNING Contact(LastName), Lead")
    assert [r["LastName"] for r in rows] == ["Phoneman"]
    rows = search(api, "FIND {Jo*} RETURNING Contact(FirstName WHERE Email != null ORDER BY FirstName LIMIT 1)")
    assert [r["FirstName"] for r in rows] == ["John"]
    rows = search(api, "FIND {Doe} RETURNING Contact(Id WHERE AccountId = null), Lead")
    assert [r["attributes"]["type"] for r in rows] == ["Lead"]


def test_sosl_errors(api, org):
    r = api.get("/search", params={"q": "FIND Doe"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "MALFORMED_SEARCH"
    r = api.get("/search", params={"q": "FIND {Doe} RETURNING Nope__c"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_TYPE"
    r = api.get("/search", params={"q": "FIND {Doe} RETURNING Contact(Bogus)"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD"


def test_parameterized_search(api, org):
    r = api.get("/parameterizedSearch/", params={"q": "Doe", "sobject": "Contact", "Contact.fields": "Id,Email",
                                                  "Contact.limit": "5"})
    assert r.status_code == 200
    assert [x["Email"] for x in r.json()["searchRecords"]] == ["Jane@Example.com"]
    r = api.post("/parameterizedSearch", json={"q": "john@example.com", "in": "EMAIL",
                                               "sobjects": [{"name": "Contact", "fields": ["Id", "LastName"]}]})
    assert [x["LastName"] for x in r.json()["searchRecords"]] == ["Roe"]


def test_date_functions_need_the_right_field_type(api, org):
    e = err(api, "SELECT DAY_ONLY(Birthdate) FROM Contact GROUP BY DAY_ONLY(Birthdate)")
    assert e["errorCode"] == "INVALID_FIELD" and "DAY_ONLY" in e["message"]
    e = err(api, "SELECT CALENDAR_YEAR(LastName) FROM Contact GROUP BY CALENDAR_YEAR(LastName)")
    assert e["errorCode"] == "INVALID_FIELD"
    body = q(api, "SELECT DAY_ONLY(CreatedDate) d, COUNT(Id) FROM Contact GROUP BY DAY_ONLY(CreatedDate) "
                  "ORDER BY DAY_ONLY(CreatedDate)")
    assert body["records"][0]["d"] == "2026-01-10"
