from celery import shared_task


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_subscription_email(self, subscription_id: int, kind: str, amount: int = 0) -> None:
    from .emails import send_subscription_email as send

    try:
        send(subscription_id, kind, amount)
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1))
