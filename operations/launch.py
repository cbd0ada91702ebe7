"""The go/no-go list `manage.py launch_check` runs against the running configuration.

The items every deployment has are registered here; apps add their own (Stripe and webhooks in billing,
ledgers in marketplace, later rewards and licensing) with `operations.interface.register_launch_check`.
Each item answers GO or NO-GO with the reason; an item that crashes is a NO-GO naming the error.
"""

import os
import smtplib
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from . import registry
from .checks import KINDS
from .collector import HEARTBEAT_CACHE_KEY
from .registry import Verdict

HEARTBEAT_MAX_AGE_SECONDS = 180
NON_DELIVERING_EMAIL_BACKENDS = ("console", "locmem", "dummy", "filebased")


@dataclass
class Result:
    name: str
    label: str
    go: bool
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def run(check: registry.LaunchCheck) -> Result:
    try:
        verdict = check.run()
    except Exception as exc:  # noqa: BLE001 - a crashing check is a NO-GO, never a crashed command
        verdict = Verdict(False, f"the check itself failed: {exc.__class__.__name__}: {exc}")
    return Result(check.name, check.label, verdict.ok, verdict.reason)


def run_all() -> list[Result]:
    return [run(check) for check in registry.launch_checks()]


# Configuration ------------------------------------------------------------------------------------


def production_settings() -> Verdict:
    # The environment, not settings.SETTINGS_MODULE (None while a test overrides settings).
    module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if module != "config.settings.prod":
        return Verdict(False, f"running with {module or 'no DJANGO_SETTINGS_MODULE'}, not config.settings.prod")
    # Already imported (and so valid) when the site runs on it; the environment is checked again as it is now.
    try:
        from config.settings.prod import production_problems
    except ImproperlyConfigured as exc:
        return Verdict(False, " ".join(str(exc).split()))

    problems = production_problems(dict(os.environ))
    if settings.DEBUG:
        problems.append("DEBUG is on")
    if settings.METRICS_BEARER_TOKEN and len(settings.METRICS_BEARER_TOKEN) < 32:
        problems.append("METRICS_BEARER_TOKEN is shorter than 32 characters")
    if problems:
        return Verdict(False, "; ".join(problems))
    return Verdict(True, "production settings, every required variable set and safe")


def deploy_checks() -> Verdict:
    """What `manage.py check --deploy --fail-level WARNING` would refuse, by check id."""
    found = [
        message
        for message in checks.run_checks(include_deployment_checks=True)
        if message.level >= checks.WARNING and not message.is_silenced()
    ]
    if found:
        return Verdict(False, "check --deploy: " + "; ".join(f"{m.id}: {m.msg.split('. ')[0]}" for m in found)[:2000])
    return Verdict(True, "check --deploy reports nothing")


def migrations_applied() -> Verdict:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
        return Verdict(False, f"{len(names)} migration(s) not applied: {', '.join(names[:10])}")
    return Verdict(True, "every migration is applied")


# Dependencies -------------------------------------------------------------------------------------


def database_reachable() -> Verdict:
    from config.health import dependency_problems

    problem = dependency_problems()["database"]
    return Verdict(problem is None, problem or f"{connection.vendor} answers")


def redis_reachable() -> Verdict:
    from config.health import dependency_problems, failing

    if not settings.REDIS_URL:
        return Verdict(False, "REDIS_URL is not set: no shared cache, no broker, tasks run inside web requests")
    problems = dependency_problems()
    failed = [problem for name, problem in problems.items() if name != "database" and failing(problem)]
    if failed:
        return Verdict(False, "; ".join(failed))
    return Verdict(True, "the cache and the broker answer")


def celery_worker_alive() -> Verdict:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return Verdict(False, "tasks run eagerly (no broker): production needs a Celery worker")
    from config.celery import app

    with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
        replies = app.control.ping(timeout=settings.LAUNCH_CHECK_PING_TIMEOUT, connection=conn)
    if not replies:
        return Verdict(False, "no Celery worker answered a ping")
    return Verdict(True, f"{len(replies)} worker(s) answered: {', '.join(sorted(n for r in replies for n in r))}")


def celery_beat_alive() -> Verdict:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return Verdict(False, "tasks run eagerly (no broker): production needs Celery beat")
    last = cache.get(HEARTBEAT_CACHE_KEY)
    if last is None:
        return Verdict(False, "no heartbeat from beat through the worker yet (beat sends one every minute)")
    age = time.time() - float(last)
    if age > HEARTBEAT_MAX_AGE_SECONDS:
        return Verdict(
            False, f"the last heartbeat from beat ran {int(age)} s ago (more than {HEARTBEAT_MAX_AGE_SECONDS} s)"
        )
    return Verdict(True, f"beat's heartbeat ran {int(age)} s ago")


def email_sends() -> Verdict:
    from django.core.mail import EmailMessage, get_connection

    backend = settings.EMAIL_BACKEND
    if any(f".{kind}." in backend for kind in NON_DELIVERING_EMAIL_BACKENDS):
        return Verdict(False, f"e-mail goes to {backend.rsplit('.', 2)[-2]}, not to people (set EMAIL_URL)")
    recipient = settings.LAUNCH_CHECK_EMAIL_TO
    if not recipient:
        return Verdict(False, "set LAUNCH_CHECK_EMAIL_TO so the check can send a test message")
    host = getattr(settings, "EMAIL_HOST", "")
    try:
        with get_connection(fail_silently=False, timeout=10) as conn:
            EmailMessage(
                "[Lyceum] launch check",
                f"Sent by manage.py launch_check at {timezone.now():%Y-%m-%d %H:%M:%S} UTC: e-mail sending works.",
                settings.DEFAULT_FROM_EMAIL,
                [recipient],
                connection=conn,
            ).send()
    except (OSError, smtplib.SMTPException) as exc:
        return Verdict(False, f"could not send through {host or backend}: {exc.__class__.__name__}: {exc}")
    return Verdict(True, f"a test message to {recipient} was accepted" + (f" by {host}" if host else ""))


# Records of operational checks (backups, restore drills, audits) ---------------------------------


def recorded(kind_slug: str):
    kind = KINDS[kind_slug]

    def check() -> Verdict:
        from .selectors import latest_check

        last = latest_check(kind.slug)
        if last is None:
            return Verdict(False, f"no {kind.label.lower()} recorded: {kind.how}")
        when = f"{last.finished_at:%Y-%m-%d %H:%M} UTC"
        if not last.passed:
            return Verdict(False, f"the last {kind.label.lower()} ({when}) failed: {last.summary}")
        age_hours = (timezone.now() - last.finished_at).total_seconds() / 3600
        if age_hours > kind.max_age_hours:
            return Verdict(
                False, f"the last {kind.label.lower()} passed {when}, older than {kind.max_age_hours} h: {kind.how}"
            )
        return Verdict(True, f"passed {when}: {last.summary}")

    return check


# Accounts -----------------------------------------------------------------------------------------


def staff_without_mfa() -> list[str] | None:
    """E-mails of active staff accounts without a TOTP authenticator; None when MFA is not installed and
    there are staff accounts. Hook: once accounts exposes `accounts.interface.staff_without_mfa()`
    (issues 11 and 19), that answers instead."""
    try:
        from accounts.interface import staff_without_mfa as from_accounts
    except ImportError:
        from_accounts = None
    if from_accounts is not None:  # a queryset of users
        return [getattr(user, "email", str(user)) for user in from_accounts()]
    from django.apps import apps
    from django.contrib.auth import get_user_model

    admins = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("email")
    if not apps.is_installed("allauth.mfa"):
        return None if admins.exists() else []
    from allauth.mfa.models import Authenticator

    return list(admins.exclude(authenticator__type=Authenticator.Type.TOTP).values_list("email", flat=True))


def admins_have_mfa() -> Verdict:
    """Every active staff account has multi-factor authentication (django-allauth MFA, issue 19)."""
    from django.contrib.auth import get_user_model

    lacking = staff_without_mfa()
    if lacking is None:
        count = get_user_model().objects.filter(is_active=True, is_staff=True).count()
        return Verdict(
            False, f"multi-factor authentication is not installed; {count} staff account(s) sign in without it"
        )
    if lacking:
        shown = ", ".join(lacking[:10]) + (" ..." if len(lacking) > 10 else "")
        return Verdict(False, f"{len(lacking)} staff account(s) without multi-factor authentication: {shown}")
    return Verdict(True, "every staff account has multi-factor authentication")


def register_core_checks() -> None:
    core = [
        ("settings", "Production settings valid", production_settings, 10),
        ("deploy_checks", "check --deploy clean", deploy_checks, 20),
        ("migrations", "Migrations applied", migrations_applied, 30),
        ("database", "Database reachable", database_reachable, 40),
        ("redis", "Redis reachable", redis_reachable, 50),
        ("celery_worker", "Celery worker alive", celery_worker_alive, 60),
        ("celery_beat", "Celery beat alive", celery_beat_alive, 70),
        ("email", "E-mail sending works", email_sends, 80),
        ("backup", "Backups recent", recorded("backup"), 200),
        ("restore_drill", "Last restore drill passed", recorded("restore_drill"), 210),
        ("dependency_audit", "Dependency audit recent and clean", recorded("dependency_audit"), 220),
        ("admin_mfa", "Admin accounts use multi-factor authentication", admins_have_mfa, 300),
    ]
    for name, label, run, order in core:
        registry.register_launch_check(name, label, run, order=order)
