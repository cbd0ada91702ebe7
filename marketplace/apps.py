from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self):
        from accounts.interface import grant_to_group
        from billing.interface import register_purpose

        from . import caching, observability
        from .services import purchases

        observability.register()
        from . import console

        console.register()
        caching.connect()

        register_purpose(
            "course",
            label="Course",
            fulfil=purchases.fulfil_course_payment,
            revoke=purchases.revoke_course_payment,
            success_url=purchases.success_url,
            checkout=purchases.checkout_for_api,
        )
        content_review = [
            "marketplace.view_category",
            "marketplace.add_category",
            "marketplace.change_category",
            "marketplace.view_course",
            "marketplace.change_course",
            "marketplace.review_course",
            "marketplace.view_module",
            "marketplace.view_lesson",
            "marketplace.view_instructorapplication",
            "marketplace.change_instructorapplication",
            "marketplace.view_review",
            "marketplace.change_review",
        ]
        grant_to_group("Content review", content_review)
        # Finance watches instructor money and retries or cancels failed payouts (services.payouts).
        grant_to_group(
            "Finance",
            [
                "marketplace.view_sale",
                "marketplace.view_earningsentry",
                # Posting a correction entry (services.earnings.post_correction), never editing one.
                "marketplace.add_earningsentry",
                "marketplace.view_instructorbalance",
                "marketplace.view_payout",
                "marketplace.change_payout",
                "marketplace.view_revenuesharerule",
                "marketplace.change_revenuesharerule",
            ],
        )
        grant_to_group(
            "Support",
            [
                "marketplace.view_course",
                "marketplace.view_enrollment",
                "marketplace.view_review",
                # Giving someone a course is a support gesture (services.learning.grant_enrollment).
                "marketplace.add_enrollment",
            ],
        )
        grant_to_group(
            "Finance",
            [
                "marketplace.view_course",
                "marketplace.view_enrollment",
                # Refund requests outside the policy are decided by Finance (services.refunds).
                "marketplace.view_refundrequest",
                "marketplace.change_refundrequest",
            ],
        )
