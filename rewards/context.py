"""The token and streak badge in the site header, for signed-in learners.

It reads the cache only: the numbers are written there when the learner signs in and after every change
(services.header), so the badge adds no database query to the site's pages."""

from django.utils.functional import SimpleLazyObject


def header(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_staff:
        return {}
    from .services.header import chip

    return {"rewards_header": SimpleLazyObject(lambda: chip(user))}
