"""``syncd scenarios``: locally against fakeforce, and with --target against an org reached over REST only
(a separate fakeforce process standing in for a real org): skips what needs fakeforce, cleans up after."""

import subprocess
import sys
from pathlib import Path

from fakeforce import soql
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

ROOT = Path(__file__).resolve().parent.parent
CARE_SCHEMA = ROOT / "examples" / "care-schema.json"


def test_scenarios_command_runs_and_reports(tmp_path):
    report = tmp_path / "report.md"
    out = subprocess.run([sys.executable, "-m", "daemon", "scenarios", "--dir", str(ROOT / "scenarios"), "-k", "e5_",
                          "--report", str(report)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok   e5_concurrent_double_escalation [E5]" in out.stdout
    text = report.read_text()
    assert "| E5 |" in text and "3/3" in text


TARGET_SET = ["e1_not_linked_is_refused", "e5_repeated_escalation_same_case", "e2_last_message_exactly_90_days_old",
              "e4_salesforce_down_during_escalation", "e6_case_fields_not_overwritten", "p2_core_new_messages_follow_the_case"]


def test_scenarios_against_a_target_org_skip_and_clean_up(tmp_path):
    import shutil

    for name in TARGET_SET:
        shutil.copy(ROOT / "scenarios" / f"{name}.yaml", tmp_path / f"{name}.yaml")
    with FakeforceServer(settings=OrgSettings(), schema_files=[CARE_SCHEMA]) as org:
        out = subprocess.run([sys.executable, "-m", "daemon", "scenarios", "--dir", str(tmp_path),
                              "--target", org.url, "--client-id", "fakeforce", "--client-secret",
                              "fakeforce", "--username", "admin@fakeforce.local", "--password", "fakeforce"],
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "ok   e1_not_linked_is_refused" in out.stdout
        assert "ok   e5_repeated_escalation_same_case" in out.stdout
        assert "skip e2_last_message_exactly_90_days_old" in out.stdout  # fixed start time
        assert "skip e4_salesforce_down_during_escalation" in out.stdout  # faults
        # Everything the runs created in the org is gone again.
        for sobject in ("Case", "SocialPost", "Contact", "Account"):
            assert soql.query(org.org, f"SELECT COUNT() FROM {sobject}")[0] == 0, sobject
