"""GET /_fakeforce/snapshot: a consistent copy of a running org's records that loads as a data file."""

import threading

import httpx

from fakeforce.instance import Fakeforce
from fakeforce.org import Org
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings


def test_a_snapshot_of_a_running_org_loads_as_a_data_file(tmp_path):
    ff = Fakeforce(settings=OrgSettings(control_enabled=True), data_path=str(tmp_path / "live.json"))
    with FakeforceServer(ff) as server:
        org = ff.org
        stop = threading.Event()
        written: list[str] = []

        def writer() -> None:  # transactions of two records each, running while the copy is taken
            n = 0
            while not stop.is_set():
                n += 1
                with org.store.transaction():
                    account = org.create("Account", {"Name": f"A{n}"})
                    org.create("Contact", {"LastName": f"C{n}", "AccountId": account})
                written.append(account)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            copies = [httpx.get(f"{server.url}/_fakeforce/snapshot", timeout=30) for _ in range(5)]
        finally:
            stop.set()
            thread.join()
    for i, r in enumerate(copies):
        assert r.status_code == 200
        assert "attachment" in r.headers["content-disposition"]
        copy = tmp_path / f"copy{i}.json"
        copy.write_bytes(r.content)
        loaded = Org(data_path=str(copy))
        accounts = {a["Id"] for a in loaded.store.records("Account")}
        # never between the two writes of one transaction
        assert {c["AccountId"] for c in loaded.store.records("Contact")} == accounts
        assert loaded.admin_user_id == org.admin_user_id
    assert accounts and accounts <= set(written) | {a["Id"] for a in org.store.records("Account")}


def test_the_snapshot_call_is_a_control_call():
    with FakeforceServer(settings=OrgSettings(control_enabled=True, control_token="t0k3n")) as server:
        r = httpx.get(f"{server.url}/_fakeforce/snapshot")
        assert r.status_code == 401 and r.json()[0]["errorCode"] == "INVALID_SESSION_ID"
        ok = httpx.get(f"{server.url}/_fakeforce/snapshot", headers={"Authorization": "Bearer t0k3n"})
        assert ok.status_code == 200 and "_meta" in ok.json()
