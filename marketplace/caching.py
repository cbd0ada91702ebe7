"""What the catalogue's shared caches depend on, and everything that makes them stale.

Anonymous catalogue lists, searches and course pages (API and HTML) and the course page's syllabus and review
fragments are cached under the CATALOGUE generation (config.sharedcache). Every write that changes what any
of them shows replaces the generation, so the next request rebuilds: a course saved (title, price, status,
description, category...), deleted, a module or lesson added, changed or removed, a review written, edited,
replied to or hidden, an enrolment counted or uncounted, a category renamed, an instructor or reviewer
renamed. Model saves and deletes are caught by the receivers below; the services that write with
`QuerySet.update()` (which sends no signal) call `catalogue_changed()` themselves.

One generation for the whole catalogue keeps invalidation exact and simple (a page never needs to know which
lists include it); the price is that any change rebuilds every cached page, once, on its next request.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from config import sharedcache

CATALOGUE = "marketplace.catalogue"
# The User fields a catalogue page shows (User.name is display_name, else the e-mail's local part).
USER_FIELDS_SHOWN = {"display_name", "email"}


def catalogue_changed() -> None:
    sharedcache.bump(CATALOGUE)


def catalogue_versions(request, *args, **kwargs) -> list[str]:
    return [CATALOGUE]


def catalogue_version() -> str:
    """The catalogue's current token, for keying template fragments."""
    return sharedcache.version(CATALOGUE)


def _changed(sender, **kwargs) -> None:
    catalogue_changed()


def _user_changed(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    # A new account has no course or review yet; a sign-in saves only last_login.
    if created:
        return
    if update_fields is None or USER_FIELDS_SHOWN & set(update_fields):
        catalogue_changed()


def connect() -> None:
    from .models import Category, Course, Lesson, Module, Review

    for model in (Course, Category, Module, Lesson, Review):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue-cache-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalogue-cache-{model.__name__}-delete")
    user = get_user_model()
    post_save.connect(_user_changed, sender=user, dispatch_uid="catalogue-cache-user-save")
    post_delete.connect(_changed, sender=user, dispatch_uid="catalogue-cache-user-delete")
