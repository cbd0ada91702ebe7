"""Enterprise licensing data: organisations, quotes, licences, seats, keys and activations.

Rules live in `licensing.services`; here are the rows and the database constraints that hold even when
a service is bypassed (the seats in use never exceed the seats bought, a quote's total is its unit price
times its seats, one signing key signs at a time).
"""

from .keys import Activation, LicenceKey, OrganisationAPIKey, SigningKey
from .licences import Licence, LicenceEvent, RenewalNotice, Seat
from .organisations import Membership, Organisation, OrganisationDomain
from .quotes import PaymentMethod, Quote, QuoteVersion
from .usage import ApiUsage, LimitNotice

__all__ = [
    "Activation",
    "ApiUsage",
    "Licence",
    "LicenceEvent",
    "LicenceKey",
    "LimitNotice",
    "Membership",
    "Organisation",
    "OrganisationAPIKey",
    "OrganisationDomain",
    "PaymentMethod",
    "Quote",
    "QuoteVersion",
    "RenewalNotice",
    "Seat",
    "SigningKey",
]
