"""Importing this package registers every route."""

from . import (  # noqa: F401
    billing,
    catalog,
    checkout,
    connect,
    control_api,
    customers,
    events,
    invoicing,
    payment_methods,
    payments,
    setup_intents,
)
