from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def get_email_verification_redirect_url(self, email_address):
        return "/accounts/profile/"

    def send_mail(self, template_prefix, email, context):
        context.setdefault("SITE_URL", settings.SITE_URL)
        return super().send_mail(template_prefix, email, context)
