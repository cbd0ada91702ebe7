from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self):
        from accounts.interface import grant_to_group

        from . import observability, purpose, receivers, webhooks  # noqa: F401 - receivers connect on import

        observability.register()

        purpose.register()
        webhooks.register()
        viewing = [
            f"licensing.view_{model}"
            for model in (
                "organisation",
                "membership",
                "organisationdomain",
                "quote",
                "quoteversion",
                "licence",
                "licenceevent",
                "seat",
                "activation",
                "organisationapikey",
            )
        ]
        # Sales works the quotes (prepare, send, revise, mark lost) and extends licences.
        grant_to_group(
            "Sales",
            viewing
            + [
                "licensing.add_quote",
                "licensing.work_quote",
                "licensing.extend_licence",
                "licensing.raise_revocation_cap",
            ],
        )
        # Support helps org admins: domains, the revocation cap, seats.
        grant_to_group("Support", viewing + ["licensing.verify_domain", "licensing.raise_revocation_cap"])
        # Finance suspends a licence whose invoice is not paid (and lifts it).
        grant_to_group(
            "Finance",
            [f"licensing.view_{m}" for m in ("organisation", "quote", "quoteversion", "licence", "licenceevent")]
            + ["licensing.suspend_licence"],
        )
