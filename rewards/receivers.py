"""Receivers of marketplace's domain events and of account changes: each only hands over to a service."""

from .services import hooks


def lesson_completed(sender, user, lesson, course, progress, **kwargs):
    hooks.lesson_completed(user, course, lesson.pk, progress.completed_at)


def course_completed(sender, user, course, completion, **kwargs):
    hooks.course_completed(user, course, completion.completed_at)


def course_refunded(sender, user, course, payment, **kwargs):
    hooks.course_refunded(user, course)


def user_saved(sender, instance, created, **kwargs):
    if not created:
        hooks.user_changed(instance)


def user_logged_in(sender, request, user, **kwargs):
    hooks.signed_in(user)
