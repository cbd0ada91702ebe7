"""Recording operational check results (what backups, restore drills and audits leave for launch_check)."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from operations.interface import latest_check, latest_checks, record_check
from operations.models import OperationalCheck
from operations.services import OperationsError

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_record_check_command_appends_a_result_with_its_figures(tmp_path):
    figures = tmp_path / "drill.json"
    figures.write_text(json.dumps({"payments": 1234, "target_time": "2026-03-02T11:00:00Z"}))
    out = StringIO()
    call_command(
        "record_check",
        "restore_drill",
        "--passed",
        "--summary",
        "restored to 11:00, ledgers verify",
        "--details",
        f"@{figures}",
        "--started-at",
        "2026-03-02T11:30:00Z",
        stdout=out,
    )
    check = OperationalCheck.objects.get()
    assert (check.kind, check.passed, check.summary) == ("restore_drill", True, "restored to 11:00, ledgers verify")
    assert check.details == {"payments": 1234, "target_time": "2026-03-02T11:00:00Z"}
    assert check.started_at == NOW - timedelta(minutes=30)
    assert check.finished_at == NOW
    assert check.recorded_by  # the host name
    assert "Recorded: restore_drill passed" in out.getvalue()


def test_a_failed_run_is_recorded_and_is_the_latest():
    record_check("backup", passed=True, summary="full backup", finished_at=NOW - timedelta(days=1))
    call_command("record_check", "backup", "--failed", "--summary", "repository unreachable", stdout=StringIO())
    assert latest_check("backup").summary == "repository unreachable"
    assert latest_check("backup", passed=True).summary == "full backup"


@pytest.mark.parametrize(
    "args, message",
    [
        (["Restore Drill", "--passed", "--summary", "x"], "lower-case slug"),
        (["backup", "--passed", "--summary", "  "], "one-line summary"),
        (["backup", "--passed", "--summary", "ok", "--details", "[1, 2]"], "JSON object"),
        (["backup", "--passed", "--summary", "ok", "--details", "{nope"], "not a readable JSON object"),
        (["backup", "--passed", "--summary", "ok", "--finished-at", "yesterday"], "not an ISO 8601"),
        (["backup", "--passed", "--summary", "ok", "--finished-at", "2026-03-02T12:00:00"], "time zone"),
        (["backup", "--passed", "--summary", "ok", "--finished-at", "2999-01-01T00:00:00Z"], "in the future"),
        (
            [
                "backup",
                "--passed",
                "--summary",
                "ok",
                "--started-at",
                "2026-03-02T12:00:00Z",
                "--finished-at",
                "2026-03-02T11:00:00Z",
            ],
            "finish before it started",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_records_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("record_check", *args, stdout=StringIO())
    assert not OperationalCheck.objects.exists()


def test_passed_and_failed_are_exclusive_and_one_is_required():
    with pytest.raises(CommandError):
        call_command("record_check", "backup", "--summary", "ok", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("record_check", "backup", "--passed", "--failed", "--summary", "ok", stdout=StringIO())


def test_latest_checks_reads_the_newest_of_each_kind_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    for day in range(5):
        for kind in ("backup", "restore_drill", "dependency_audit"):
            record_check(kind, passed=day % 2 == 0, summary=f"{kind} day {day}", finished_at=NOW - timedelta(days=day))
    with django_assert_max_num_queries(2):
        newest = latest_checks(["backup", "restore_drill", "dependency_audit", "never_run"])
    assert {kind: check.summary for kind, check in newest.items()} == {
        "backup": "backup day 0",
        "restore_drill": "restore_drill day 0",
        "dependency_audit": "dependency_audit day 0",
    }


def test_service_refuses_a_non_dict_details():
    with pytest.raises(OperationsError):
        record_check("backup", passed=True, summary="ok", details=["x"])
