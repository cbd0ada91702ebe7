"""The pgBackRest configuration says what the issue promises: WAL archiving, a weekly full and daily
differential backup, 30 days in which any time can be restored, an encrypted repository with no secret in
the file, and the same window as the Kubernetes overlay's CloudNativePG backups."""

import configparser
from pathlib import Path

import yaml

BACKUP_DIR = Path(__file__).resolve().parents[1]
BASE_DIR = BACKUP_DIR.parents[1]


def pgbackrest_conf() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string((BACKUP_DIR / "pgbackrest.conf").read_text())
    return parser


def test_thirty_days_of_point_in_time_restore_from_an_encrypted_repository():
    conf = pgbackrest_conf()
    options = conf["global"]
    assert options["repo1-retention-full-type"] == "time"
    assert options["repo1-retention-full"] == "30"
    assert options["repo1-retention-archive-type"] == "full"  # WAL kept as long as the backups need it
    assert options["repo1-cipher-type"] == "aes-256-cbc"
    every_option = {key for section in conf.sections() for key in conf[section]}
    assert not {key for key in every_option if "cipher-pass" in key or key.endswith("-key-secret")}
    assert conf["lyceum"]["pg1-path"].startswith("/var/lib/postgresql/")


def test_wal_is_archived_to_the_stanza():
    settings = {}
    for line in (BACKUP_DIR / "postgresql-archiving.conf").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = (part.strip() for part in line.split("=", 1))
            settings[key] = value
    assert settings["archive_mode"] == "on" and settings["wal_level"] == "replica"
    assert settings["archive_command"] == "'pgbackrest --stanza=lyceum archive-push %p'"
    assert int(settings["archive_timeout"]) <= 300


def test_a_full_backup_weekly_a_differential_on_the_other_days_and_a_weekly_drill():
    jobs = [
        line.split(None, 6)
        for line in (BACKUP_DIR / "lyceum-backup.cron").read_text().splitlines()
        if line and not line.startswith("#") and not line.startswith("SHELL=")
    ]
    schedule = {(fields[4], fields[6].rsplit(" ", 1)[-1]) for fields in jobs if "backup.py" in fields[6]}
    assert schedule == {("0", "full"), ("1-6", "diff")}
    assert any("restore_drill.py" in fields[6] and fields[5] == "root" for fields in jobs)


def test_kubernetes_keeps_the_same_window():
    docs = list(yaml.safe_load_all((BASE_DIR / "deploy" / "k8s" / "base" / "postgres.yaml").read_text()))
    (cluster,) = [doc for doc in docs if doc["kind"] == "Cluster"]
    days = int(pgbackrest_conf()["global"]["repo1-retention-full"])
    assert cluster["spec"]["backup"]["retentionPolicy"] == f"{days}d"
