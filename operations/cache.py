"""The in-process cache of the embedded default, counting hits and misses like django-prometheus's Redis
backend (its own LocMemCache answers the default for a cached 0 or "", so it is not used)."""

from django.core.cache.backends import locmem
from django_prometheus.cache.metrics import django_cache_get_total, django_cache_hits_total, django_cache_misses_total

_MISSING = object()


class LocMemCache(locmem.LocMemCache):
    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend="locmem").inc()
        value = super().get(key, _MISSING, version=version)
        if value is _MISSING:
            django_cache_misses_total.labels(backend="locmem").inc()
            return default
        django_cache_hits_total.labels(backend="locmem").inc()
        return value
