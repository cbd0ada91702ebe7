def init_sentry(dsn: str, environment: str, release: str) -> bool:
    """Initialise Sentry only when a DSN is set. Returns whether it was initialised."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=environment,
        release=release,
        send_default_pii=False,
        traces_sample_rate=0.0,
    )
    return True
