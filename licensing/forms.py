from django import forms

from accounts.interface import captcha_field

from .models import OrganisationAPIKey, PaymentMethod
from .models.quotes import MAX_SEATS, TERM_CHOICES


class QuoteRequestForm(forms.Form):
    company = forms.CharField(max_length=120, label="Company")
    contact_name = forms.CharField(max_length=120, label="Your name")
    contact_email = forms.EmailField(label="Work e-mail")
    seats = forms.IntegerField(
        min_value=1, max_value=MAX_SEATS, label="Seats wanted", help_text=f"From 1 to {MAX_SEATS:,}."
    )
    term_months = forms.TypedChoiceField(choices=TERM_CHOICES, coerce=int, label="Term", initial=12)
    payment_method = forms.ChoiceField(
        choices=PaymentMethod.choices, widget=forms.RadioSelect, label="How you want to pay", initial="invoice"
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=4000, label="Anything we should know?"
    )
    captcha = captcha_field()

    def clean_company(self):
        value = " ".join(self.cleaned_data["company"].split())
        if not value:
            raise forms.ValidationError("Enter your company's name.")
        return value


class AcceptQuoteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    accept_terms = forms.BooleanField(
        label="I accept the quote and the Lyceum Enterprise terms on behalf of my company.",
        error_messages={"required": "Tick the box to accept the terms."},
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="One e-mail address per row (a header row “email” is fine).")

    MAX_BYTES = 512 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 512 KB.")
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("Save the file as UTF-8 CSV and upload it again.")


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=255, required=False, label="Reason (kept in the licence's history)")


class CancelRenewalForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}), label="Why are you cancelling?")


class SeatChangeForm(forms.Form):
    seats = forms.IntegerField(min_value=1, max_value=MAX_SEATS, label="Seats")
    proration_date = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[("admin", "Admin"), ("member", "Member"), ("owner", "Owner")])


class OrgAPIKeyForm(forms.Form):
    name = forms.CharField(max_length=60, label="Key name", help_text="For example “HR system”.")
    scopes = forms.MultipleChoiceField(
        choices=OrganisationAPIKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[OrganisationAPIKey.Scope.SEATS_READ, OrganisationAPIKey.Scope.SEATS_WRITE],
        label="The key may",
    )


class DomainForm(forms.Form):
    domain = forms.CharField(max_length=253, label="E-mail domain", help_text="For example example.com.")
    auto_seat = forms.BooleanField(
        required=False, label="Give a seat to anyone who signs up with this domain (once we verify it)"
    )
