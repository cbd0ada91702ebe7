"""The models the audit trail records (accounts/audit.py says what and why). Plain data: the settings
read it (AUDITLOG_INCLUDE_TRACKING_MODELS) before any app is loaded."""

# (model, options) — options as auditlog.registry.register takes them. Fields that change on every request
# (last_login, last_used_at) are left out so the trail holds decisions, not traffic.
AUDITED_MODELS: tuple[dict, ...] = (
    # access ----------------------------------------------------------------------------------
    {
        "model": "accounts.User",
        "include_fields": ["email", "is_active", "is_instructor", "is_staff", "is_superuser", "deleted_at"],
        "m2m_fields": {"groups", "user_permissions"},
    },
    {"model": "accounts.APIKey", "include_fields": ["user", "name", "prefix", "revoked_at"]},
    {"model": "auth.Group", "m2m_fields": {"permissions"}},
    {"model": "mfa.Authenticator", "include_fields": ["user", "type"]},
    {"model": "subscriptions.Entitlement"},
    {"model": "marketplace.Enrollment"},
    {"model": "licensing.Membership"},
    {"model": "licensing.Seat"},
    {"model": "licensing.Licence"},
    {"model": "licensing.OrganisationDomain"},
    {"model": "licensing.OrganisationAPIKey", "exclude_fields": ["digest", "last_used_at"]},
    # Support's decisions on a ticket (the conversation itself is the ticket's own record).
    {"model": "support.Ticket", "include_fields": ["status", "priority", "assignee"]},
    # money -----------------------------------------------------------------------------------
    {"model": "billing.Payment", "exclude_fields": ["checkout_url", "updated_at"]},
    {"model": "billing.Refund", "exclude_fields": ["updated_at"]},
    {"model": "marketplace.Payout"},
    {"model": "marketplace.EarningsEntry"},
    {"model": "marketplace.RevenueShareRule", "exclude_fields": ["updated_at"]},
    {"model": "marketplace.RefundRequest"},
    {"model": "licensing.Quote"},
    {"model": "licensing.Organisation", "exclude_fields": ["updated_at"]},
    # review ----------------------------------------------------------------------------------
    {
        "model": "marketplace.Course",
        "include_fields": [
            "title",
            "status",
            "rejection_reason",
            "price_amount",
            "currency",
            "in_pro_library",
            "instructor",
            "reviewed_by",
            "reviewed_at",
            "published_at",
        ],
    },
    {"model": "marketplace.InstructorApplication"},
    {"model": "marketplace.Review", "include_fields": ["hidden_at", "hidden_by", "hidden_reason"]},
    # configuration ---------------------------------------------------------------------------
    {"model": "subscriptions.Tier"},
    {"model": "subscriptions.Feature"},
    {"model": "subscriptions.TierFeature"},
    {"model": "marketplace.Category"},
    {"model": "licensing.SigningKey", "exclude_fields": ["private_key"]},
    # rewards: the rules and the shop staff edit (the ledger keeps its own record: entries name who corrected)
    {"model": "rewards.EarningRule", "exclude_fields": ["updated_at"]},
    {"model": "rewards.TokenBoost", "exclude_fields": ["updated_at"]},
    {"model": "rewards.Program", "exclude_fields": ["updated_at"]},
    {"model": "rewards.ShopItem"},
    {"model": "sites.Site"},
    {"model": "support.SLAPolicy"},
    {"model": "support.SLATarget"},
    {"model": "support.BusinessCalendar"},
    {"model": "support.Holiday"},
)
