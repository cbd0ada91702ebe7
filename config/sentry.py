def init_sentry(
    dsn: str,
    environment: str,
    release: str,
    *,
    traces_sample_rate: float = 0.0,
    monitor_beat_tasks: bool = True,
    exclude_beat_tasks: list[str] | None = None,
) -> bool:
    """Initialise Sentry only when a DSN is set. Returns whether it was initialised.

    Beat jobs report Sentry Crons check-ins (in progress when beat sends one, ok/error when the worker
    finishes it), and a share of requests and tasks is traced (SENTRY_TRACES_SAMPLE_RATE)."""
    if not 0.0 <= traces_sample_rate <= 1.0:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, not {traces_sample_rate}")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(monitor_beat_tasks=monitor_beat_tasks, exclude_beat_tasks=exclude_beat_tasks or []),
        ],
        environment=environment,
        release=release,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )
    return True
