from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from . import celery_metrics, launch, metrics

        user_login_failed.connect(lambda **kw: metrics.login_failed(), weak=False, dispatch_uid="ops.login_failed")
        user_locked_out.connect(lambda **kw: metrics.locked_out(), weak=False, dispatch_uid="ops.locked_out")
        celery_metrics.connect()
        launch.register_core_checks()
