from config.errors import ConflictError, DomainError, NotFoundError


class SubscriptionError(DomainError):
    code = "subscription_error"


class AlreadySubscribed(ConflictError):
    code = "already_subscribed"


class NoSubscription(ConflictError):
    code = "no_subscription"


class UnknownTier(NotFoundError):
    code = "unknown_tier"


class SamePlan(ConflictError):
    code = "same_plan"
