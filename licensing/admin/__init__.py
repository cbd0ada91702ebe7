"""The operations console for licensing. Every action calls a service and declares the permission it needs."""

from . import keys, licences, organisations, quotes  # noqa: F401 - registers the ModelAdmins
