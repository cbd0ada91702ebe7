"""Settings per environment, and the production start-up validation."""

import importlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def good_production_env() -> dict[str, str]:
    return {
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "lyceum.example",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/lyceum",
        "REDIS_URL": "redis://127.0.0.1:6379/1",
        "SITE_URL": "https://lyceum.example",
        "ALTCHA_HMAC_KEY": secrets.token_urlsafe(32),
        "STRIPE_SECRET_KEY": "sk_test_abc123",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_abc123",
    }


REQUIRED = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "SITE_URL",
    "ALTCHA_HMAC_KEY",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
]


@pytest.fixture
def production_problems(monkeypatch):
    """prod.py's validator, imported under a valid environment (the module refuses to load otherwise)."""
    for name, value in good_production_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "config.settings.prod", raising=False)
    module = importlib.import_module("config.settings.prod")
    monkeypatch.delitem(sys.modules, "config.settings.prod")
    return module.production_problems


def run_python(code: str, env: dict[str, str], settings_module: str = "config.settings.prod"):
    """A fresh interpreter with exactly this environment (nothing leaks from the test process)."""
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    clean |= {"DJANGO_SETTINGS_MODULE": settings_module, "PYTHONDONTWRITEBYTECODE": "1"}
    clean |= env
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )


SETUP = "import django; django.setup()"
DUMP = SETUP + "; import json; from django.conf import settings as s; print(json.dumps({{{fields}}}, default=str))"


def dump_settings(env, *names, settings_module="config.settings.prod") -> dict:
    fields = ", ".join(f'"{name}": s.{name}' for name in names)
    result = run_python(DUMP.format(fields=fields), env, settings_module)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


class TestProductionProblems:
    def test_a_good_environment_has_no_problems(self, production_problems):
        assert production_problems(good_production_env()) == []

    def test_every_missing_variable_is_named(self, production_problems):
        problems = production_problems({})
        for name in REQUIRED:
            assert f"{name} is required" in problems
        assert len(problems) == len(REQUIRED)

    @pytest.mark.parametrize("name", REQUIRED)
    def test_each_required_variable_alone(self, production_problems, name):
        env = good_production_env() | {name: "  "}
        assert production_problems(env) == [f"{name} is required"]

    @pytest.mark.parametrize(
        ("changes", "problem"),
        [
            ({"DEBUG": "true"}, "DEBUG must be off"),
            ({"DEBUG": "1"}, "DEBUG must be off"),
            ({"SECRET_KEY": "dev-insecure-secret-key-change-me"}, "SECRET_KEY is the development default"),
            ({"SECRET_KEY": "test-" + "x" * 60}, "SECRET_KEY is the development default"),
            ({"SECRET_KEY": "short-but-random"}, "SECRET_KEY is too weak"),
            ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY is too weak"),
            ({"ALLOWED_HOSTS": "lyceum.example,*"}, "ALLOWED_HOSTS must not contain '*'"),
            ({"DATABASE_URL": "sqlite:////tmp/db.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
            ({"SITE_URL": "http://lyceum.example"}, "SITE_URL must be an https:// address"),
            ({"ALTCHA_HMAC_KEY": "dev-altcha-hmac-key"}, "ALTCHA_HMAC_KEY is the development default"),
            ({"STRIPE_SECRET_KEY": "sk_live_abc"}, "STRIPE_SECRET_KEY is a live key but STRIPE_LIVE_MODE is off"),
            (
                {"STRIPE_PUBLISHABLE_KEY": "pk_live_abc"},
                "STRIPE_PUBLISHABLE_KEY is a live key but STRIPE_LIVE_MODE is off",
            ),
            (
                {"STRIPE_LIVE_MODE": "true", "STRIPE_PUBLISHABLE_KEY": "pk_live_abc"},
                "STRIPE_SECRET_KEY is a test key but STRIPE_LIVE_MODE is on",
            ),
            (
                {"STRIPE_LIVE_MODE": "true", "STRIPE_SECRET_KEY": "sk_live_abc"},
                "STRIPE_PUBLISHABLE_KEY is a test key but STRIPE_LIVE_MODE is on",
            ),
            (
                {
                    "STRIPE_LIVE_MODE": "on",
                    "STRIPE_SECRET_KEY": "sk_live_abc",
                    "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
                    "STRIPE_API_BASE": "http://127.0.0.1:12111",
                },
                "STRIPE_API_BASE must be unset in live mode",
            ),
        ],
    )
    def test_each_unsafe_value_is_named(self, production_problems, changes, problem):
        problems = production_problems(good_production_env() | changes)
        assert len(problems) == 1, problems
        assert problems[0].startswith(problem)

    def test_live_keys_in_live_mode_are_fine(self, production_problems):
        env = good_production_env() | {
            "STRIPE_LIVE_MODE": "true",
            "STRIPE_SECRET_KEY": "rk_live_abc",
            "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
        }
        assert production_problems(env) == []

    def test_all_problems_at_once(self, production_problems):
        env = {
            "DEBUG": "yes",
            "SECRET_KEY": "dev-insecure-secret-key-change-me",
            "ALLOWED_HOSTS": "*",
            "DATABASE_URL": "sqlite:///db.sqlite3",
            "SITE_URL": "http://x",
            "ALTCHA_HMAC_KEY": "dev-altcha-hmac-key",
            "STRIPE_SECRET_KEY": "sk_live_x",
            "STRIPE_PUBLISHABLE_KEY": "pk_live_x",
        }
        problems = production_problems(env)
        for expected in [
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL must",
            "REDIS_URL is required",
            "SITE_URL",
            "ALTCHA_HMAC_KEY",
            "STRIPE_SECRET_KEY",
            "STRIPE_PUBLISHABLE_KEY",
        ]:
            assert any(p.startswith(expected) for p in problems), (expected, problems)
        assert len(problems) == 9


class TestProductionStartUp:
    def test_a_bad_environment_refuses_to_start_naming_every_problem(self):
        env = {name: "" for name in REQUIRED} | {"DEBUG": "true", "ALLOWED_HOSTS": "*"}
        result = run_python(SETUP, env)
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "Production settings refused to start" in result.stderr
        assert "DEBUG must be off in production" in result.stderr
        assert "ALLOWED_HOSTS must not contain '*'" in result.stderr
        for name in set(REQUIRED) - {"ALLOWED_HOSTS"}:
            assert f"{name} is required" in result.stderr

    def test_a_good_environment_passes_check_deploy_with_no_warnings(self):
        code = (
            "import sys; from django.core.management import execute_from_command_line; "
            "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])"
        )
        result = run_python(code, good_production_env())
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues (0 silenced)." in result.stdout

    def test_production_hardening(self):
        values = dump_settings(
            good_production_env(),
            "DEBUG",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_PROXY_SSL_HEADER",
            "X_FRAME_OPTIONS",
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "SECURE_REFERRER_POLICY",
            "LOG_FORMAT",
            "ENVIRONMENT",
            "EMAIL_BACKEND",
        )
        assert values["DEBUG"] is False
        assert values["SESSION_COOKIE_SECURE"] is True
        assert values["CSRF_COOKIE_SECURE"] is True
        assert values["SESSION_COOKIE_HTTPONLY"] is True
        assert values["SECURE_SSL_REDIRECT"] is True
        assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
        assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
        assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
        assert values["X_FRAME_OPTIONS"] == "DENY"
        assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
        assert values["SECURE_REFERRER_POLICY"]
        assert values["LOG_FORMAT"] == "json"
        assert values["ENVIRONMENT"] == "production"
        assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"

    def test_forms_may_redirect_to_stripes_hosted_pages_only(self):
        # Our subscribe/buy/onboard forms redirect to Stripe; the CSP checks those redirect targets.
        prod = dump_settings(good_production_env(), "CONTENT_SECURITY_POLICY")
        assert prod["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == [
            "'self'",
            "https://checkout.stripe.com",
            "https://connect.stripe.com",
        ]
        dev = dump_settings({}, "CONTENT_SECURITY_POLICY", settings_module="config.settings.dev")
        assert dev["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["form-action"] == ["'self'", "http://127.0.0.1:12111"]


class TestEmbeddedDefaults:
    def test_no_database_or_redis_means_sqlite_locmem_and_eager_tasks(self):
        values = dump_settings(
            {"DATABASE_URL": "", "REDIS_URL": "", "CELERY_BROKER_URL": "", "CELERY_TASK_ALWAYS_EAGER": ""},
            "DATABASES",
            "CACHES",
            "CELERY_TASK_ALWAYS_EAGER",
            "DEBUG",
            settings_module="config.settings.dev",
        )
        database = values["DATABASES"]["default"]
        assert database["ENGINE"] == "django_prometheus.db.backends.sqlite3"  # Django's, counting for /metrics
        assert Path(database["NAME"]).parent == BASE_DIR
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert database["OPTIONS"]["timeout"] >= 10
        assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
        assert values["CACHES"]["default"]["BACKEND"] == "operations.cache.LocMemCache"  # locmem counting hits
        assert values["CELERY_TASK_ALWAYS_EAGER"] is True
        assert values["DEBUG"] is True

    def test_eager_tasks_without_a_broker_log_no_kombu_warning(self):
        code = SETUP + "; from config.celery import app; print(app.tasks['celery.accumulate'].delay(1, 2).get())"
        result = run_python(code, {"DATABASE_URL": "", "REDIS_URL": "", "CELERY_BROKER_URL": ""}, "config.settings.dev")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "(1, 2)"
        assert "No hostname was supplied" not in result.stderr
        assert "WARNING" not in result.stderr, result.stderr

    def test_database_and_redis_from_the_environment(self):
        values = dump_settings(
            {
                "DATABASE_URL": "postgres://someone@db.internal:5433/lyceum",
                "REDIS_URL": "redis://cache.internal:6379/2",
                "CELERY_BROKER_URL": "",
                "CELERY_TASK_ALWAYS_EAGER": "",
            },
            "DATABASES",
            "CACHES",
            "CELERY_BROKER_URL",
            "CELERY_TASK_ALWAYS_EAGER",
            settings_module="config.settings.dev",
        )
        database = values["DATABASES"]["default"]
        assert database["ENGINE"] == "django_prometheus.db.backends.postgresql"
        assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5433, "lyceum")
        assert "transaction_mode" not in database.get("OPTIONS", {})  # SQLite's options only for SQLite
        assert values["CACHES"]["default"]["BACKEND"] == "django_prometheus.cache.backends.redis.RedisCache"
        assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6379/2"
        assert values["CELERY_BROKER_URL"] == "redis://cache.internal:6379/2"
        assert values["CELERY_TASK_ALWAYS_EAGER"] is False


def test_env_example_documents_every_variable():
    used = set()
    for path in (BASE_DIR / "config" / "settings").glob("*.py"):
        if path.name == "test.py":
            continue  # the test runner's own variables are not the site's configuration
        used |= set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', path.read_text()))
    used |= {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "SENTRY_DSN"}
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    documented = {}
    for index, line in enumerate(lines):
        match = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if match:
            documented[match.group(1)] = index
    missing = sorted(used - set(documented))
    assert missing == [], f".env.example does not document {missing}"
    for name, index in documented.items():
        # Each variable sits under a comment (possibly shared with its neighbours).
        above = [line for line in lines[:index] if line.strip()]
        assert above and (above[-1].startswith("#") or re.match(r"^[A-Z_]+=", above[-1])), name


def test_sentry_starts_only_when_a_dsn_is_set():
    code = SETUP + "; import sentry_sdk; c = sentry_sdk.get_client(); print(c.dsn, c.options.get('environment'))"
    base = {"DATABASE_URL": "", "REDIS_URL": ""}
    without = run_python(code, base | {"SENTRY_DSN": ""}, "config.settings.dev")
    assert without.returncode == 0, without.stderr
    assert without.stdout.split()[0] == "None"
    with_dsn = run_python(
        code, base | {"SENTRY_DSN": "https://public@127.0.0.1/1", "ENVIRONMENT": "staging"}, "config.settings.dev"
    )
    assert with_dsn.returncode == 0, with_dsn.stderr
    assert with_dsn.stdout.split() == ["https://public@127.0.0.1/1", "staging"]


def test_a_sqlite_connection_uses_wal_a_busy_timeout_and_immediate_transactions(tmp_path, django_db_blocker):
    """What the options do on a real connection (a fresh file, whatever database this run uses);
    marketplace/tests/test_concurrent_return.py shows what they are for."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    probe = {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3", "TEST": {}}
    probe |= {"NAME": str(tmp_path / "probe.sqlite3"), "OPTIONS": settings.SQLITE_OPTIONS}
    wrapper = DatabaseWrapper(probe, alias="sqlite_probe")
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == settings.SQLITE_OPTIONS["timeout"] * 1000
            assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: safe with WAL
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()


def test_the_tests_on_sqlite_use_a_database_file_whichever_engine_wraps_it():
    """In memory (shared cache) SQLite refuses a second writer with "database table is locked" instead of
    waiting for it: the live server's requests would fail beside the webhooks' (the journeys saw 500s)."""
    code = SETUP + "; from django.conf import settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['TEST'])"
    result = run_python(code, {"DATABASE_URL": "", "REDIS_URL": ""}, "config.settings.test")
    assert result.returncode == 0, result.stderr
    engine, test = result.stdout.split(" ", 1)
    assert engine == "django_prometheus.db.backends.sqlite3"
    assert "test-db.sqlite3" in test
