import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.conf import settings
from django_altcha import AltchaField, AltchaWidget

from .models import User


class CaptchaWidget(AltchaWidget):
    # Its input is hidden, but the field is not: render its label and help text like any other field.
    is_hidden = False


class CaptchaField(AltchaField):
    widget = CaptchaWidget
    default_error_messages = {
        **AltchaField.default_error_messages,
        "required": "Tick the security check box and wait until it says you are verified.",
    }


def captcha_field() -> AltchaField:
    return CaptchaField(
        template_name="accounts/forms/captcha_field.html",
        label="Security check",
        maxnumber=settings.ALTCHA_MAX_NUMBER,
        hidefooter=True,
        help_text="Tick the box; your browser solves a small puzzle. No third party is involved.",
    )


class SignupForm(AllauthSignupForm):
    display_name = forms.CharField(max_length=80, required=False, label="Display name")
    captcha = captcha_field()

    field_order = ["email", "display_name", "password1", "password2", "captcha"]

    def save(self, request):
        user = super().save(request)
        user.display_name = self.cleaned_data.get("display_name", "")
        user.save(update_fields=["display_name"])
        return user


class LoginForm(AllauthLoginForm):
    captcha = captcha_field()


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices, help_text="Used to count daily learning streaks in your own day."
    )

    class Meta:
        model = User
        fields = [
            "display_name",
            "timezone",
            "marketing_emails",
            "learning_reminders",
            "reward_emails",
            "on_public_leaderboards",
        ]


class APIKeyForm(forms.Form):
    name = forms.CharField(max_length=60, label="Key name", help_text="For example “CI reporting”.")


class DeleteAccountForm(forms.Form):
    confirm = forms.CharField(label="Type DELETE to confirm")
    password = forms.CharField(widget=forms.PasswordInput, label="Your password")

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != "DELETE":
            raise forms.ValidationError("Type the word DELETE in capitals to confirm.")
        return self.cleaned_data["confirm"]

    def clean_password(self):
        if not self.user.check_password(self.cleaned_data["password"]):
            raise forms.ValidationError("That password is not right.")
        return self.cleaned_data["password"]
