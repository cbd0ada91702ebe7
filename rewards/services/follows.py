"""Learners follow each other by their public profile; two follows both ways make friends."""

from django.db import IntegrityError, transaction

from accounts.interface import User
from config.errors import DomainError, NotFoundError

from ..models import Follow

MAX_FOLLOWING = 500


def _target(user_id) -> User:
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise DomainError(
            "Give the learner's id or profile link.", code="validation_error", fields={"learner": ["Not a learner id."]}
        ) from None
    target = User.objects.filter(pk=user_id, is_active=True).first()
    if target is None:
        raise NotFoundError("There is no such learner.")
    return target


def learner_from_link(text: str) -> int | None:
    """The learner id in a profile link (…/rewards/learners/42/) or a bare id."""
    import re

    text = (text or "").strip()
    match = re.search(r"/rewards/learners/(\d+)/?", text) or re.fullmatch(r"(\d+)", text)
    return int(match.group(1)) if match else None


def follow(user, user_id) -> tuple[Follow, bool]:
    target = _target(user_id)
    if target.pk == user.pk:
        raise DomainError("You cannot follow yourself.", code="self_follow", fields={"learner": ["That is you."]})
    existing = Follow.objects.filter(follower_id=user.pk, followed=target).first()
    if existing:
        return existing, False
    if Follow.objects.filter(follower_id=user.pk).count() >= MAX_FOLLOWING:
        raise DomainError(f"You can follow at most {MAX_FOLLOWING} learners.", code="follow_limit")
    try:
        with transaction.atomic():
            return Follow.objects.create(follower_id=user.pk, followed=target), True
    except IntegrityError:
        return Follow.objects.get(follower_id=user.pk, followed=target), False


def unfollow(user, user_id) -> bool:
    target = _target(user_id)
    deleted, _ = Follow.objects.filter(follower_id=user.pk, followed=target).delete()
    return bool(deleted)
