"""fakeforce's web console in a real browser: refused without the control token, then each page checked
against the org: objects and fields, records with paging, SOQL results and Salesforce's own errors, the
live request journal, API usage, seed and reset (with the CSRF defence)."""

from __future__ import annotations

import re

import httpx
import pytest

from conftest import screenshot
from fakeforce.pytest_plugin import CONTROL_TOKEN

pytestmark = pytest.mark.browser
BASE = "/_fakeforce/console"


def go(page, target) -> None:
    """Click a link or a form's button and wait until the page it leads to has loaded: reading the page
    before then reads the old one (or nothing) on a busy machine."""
    with page.expect_navigation(wait_until="load"):
        (page.locator(target) if isinstance(target, str) else target).click()


def login(page, fakeforce) -> None:
    page.goto(fakeforce.url + BASE + "/login")
    page.fill("input[name=token]", CONTROL_TOKEN)
    page.click("form.login button")
    page.wait_for_selector("h1:has-text('Overview')")


def test_refused_without_the_token_and_the_cookie_is_httponly_and_strict(page, fakeforce):
    answer = page.goto(fakeforce.url + BASE + "/soql?q=SELECT+Id+FROM+Account")
    assert answer.status == 401 and page.locator("form.login").is_visible()
    assert "records" not in page.content()
    page.fill("input[name=token]", "not-the-token")
    page.click("form.login button")
    assert page.locator(".error").inner_text() == "That is not the control token."
    login(page, fakeforce)
    cookie, = page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and CONTROL_TOKEN not in cookie["value"]
    assert CONTROL_TOKEN not in page.url
    # a POST without the form's CSRF token is refused even with the cookie
    refused = page.request.post(fakeforce.url + BASE + "/reset", form={"csrf": "forged"})
    assert refused.status == 403 and refused.json()[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    page.click("header .logout button")
    assert page.goto(fakeforce.url + BASE).status == 401


def test_the_bearer_header_opens_the_console_too(fakeforce):
    url = fakeforce.url + BASE + "/objects"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": f"Bearer {CONTROL_TOKEN}"}).status_code == 200


def test_objects_fields_and_records_with_paging(page, fakeforce):
    fakeforce.seed({"records": {"Account": [{"Name": f"Acme {i:02}"} for i in range(30)]}})
    login(page, fakeforce)
    go(page, "nav >> text=Objects")
    row = page.locator("table.objects tr", has=page.locator("a", has_text=re.compile("^Account$")))
    assert row.locator("td").nth(2).inner_text() == str(fakeforce.org.store.count("Account")) == "30"
    screenshot(page, "console-objects")
    go(page, row.locator("a"))
    described = fakeforce.client().get("sobjects/Account/describe").json()
    names = page.locator("table.fields tbody tr td:first-child").all_inner_texts()
    assert names == [f["name"] for f in described["fields"]]
    first = page.locator("table.records tbody tr").count()
    go(page, "text=Next page")
    assert (first, page.locator("table.records tbody tr").count()) == (25, 5)
    shown = set(page.locator("table.records tbody tr td:first-child").all_inner_texts())
    everything = {r["Id"] for r in fakeforce.client().get("query", params={"q": "SELECT Id FROM Account"}
                                                           ).json()["records"]}
    assert shown < everything and len(shown) == 5
    go(page, "text=First page")
    screenshot(page, "console-records")


def test_soql_results_as_a_table_and_errors_as_salesforce_words_them(page, fakeforce):
    fakeforce.seed({"records": {"Account": [{"ref": "a", "Name": "<b>Bold</b> & Co"}],
                                "Contact": [{"LastName": "Lovelace", "AccountId": "@a"}]}})
    login(page, fakeforce)
    go(page, "nav >> text=SOQL")
    page.fill("textarea[name=q]", "SELECT Id, LastName, Account.Name FROM Contact")
    go(page, "form.soql button")
    cells = page.locator("table.results tbody tr td").all_inner_texts()
    api = fakeforce.client().get("query", params={"q": "SELECT Id, LastName, Account.Name FROM Contact"}).json()
    record = api["records"][0]
    assert cells == [record["Id"], "Lovelace", "<b>Bold</b> & Co"]  # user data shown as text, never as markup
    assert page.locator("table.results b").count() == 0
    assert page.locator("p.total strong").inner_text() == str(api["totalSize"])
    screenshot(page, "console-soql")
    page.fill("textarea[name=q]", "SELECT Bogus FROM Account")
    go(page, "form.soql button")
    error = fakeforce.client().get("query", params={"q": "SELECT Bogus FROM Account"}).json()[0]
    shown = page.locator(".error li").inner_text()
    assert error["errorCode"] == "INVALID_FIELD" and shown == f"{error['errorCode']}: {error['message']}"
    assert "No such column 'Bogus' on entity 'Account'" in shown
    screenshot(page, "console-soql-error")


def test_the_request_journal_is_live_and_usage_matches_the_org(page, fakeforce):
    login(page, fakeforce)
    go(page, "nav >> text=Requests")
    api = fakeforce.client()
    api.get("sobjects/Account/describe")
    api.get("query", params={"q": "SELECT Id FROM Contact"})
    page.locator("#journal-rows td", has_text="/query?q=SELECT").first.wait_for()  # appears without a reload
    entries = fakeforce.requests(path="/services/data")
    rows = page.locator("#journal-rows > tr")
    assert rows.count() == len(entries) >= 2
    assert rows.first.locator("td").nth(2).inner_text().startswith(entries[0]["path"])
    screenshot(page, "console-requests")
    go(page, "nav >> text=Overview")
    used = page.locator("[data-limit=DailyApiRequests]").inner_text()
    assert int(used) == fakeforce.instance.usage.used >= 2
    screenshot(page, "console-overview")


def test_seed_then_reset(page, fakeforce):
    login(page, fakeforce)
    page.fill("form.seed textarea", "records:\n  Account:\n    - {ref: acme, Name: Seeded Acme}\n")
    go(page, "form.seed button")
    assert page.locator("h1").inner_text() == "Seed loaded"
    assert fakeforce.org.store.count("Account") == 1
    go(page, "text=Back")
    page.fill("form.seed textarea", "records: {Nope__c: [{Name: x}]}")
    go(page, "form.seed button")
    assert page.locator("h1").inner_text() == "Seed refused" and "Nope__c" in page.locator(".error").inner_text()
    go(page, "text=Back")
    page.once("dialog", lambda dialog: dialog.accept())
    go(page, "form.reset button")
    assert page.locator(".notice").inner_text() == "The org was reset."
    assert fakeforce.org.store.count("Account") == 0
