"""Operations: metrics, the launch check and the record of operational checks.

Recording the result of a check that runs outside the site (a backup, a restore drill, a dependency
audit) so that `manage.py launch_check` can read it:

    python manage.py record_check restore_drill --passed --summary "PITR to 12:00 restored 1234 payments" \
        --details '{"target_time": "2026-01-01T12:00:00Z", "payments": 1234}' --started-at 2026-01-01T12:03:00Z

or from Python: `from operations.interface import record_check; record_check("backup", passed=True, summary=...)`.
Kinds launch_check knows and how old their newest passing result may be: `operations.checks.KINDS`
(backup, restore_drill, dependency_audit); any other slug is recorded and shown in the console too.

Metrics: other apps call the recording functions of `operations.interface.metrics` (thin, one line at the
place where the thing happens) and contribute scrape-time gauges and launch-check items through
`operations.interface.register_gauges` / `register_launch_check` from their AppConfig.ready().
"""
