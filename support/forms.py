from django import forms

from accounts.interface import captcha_field

from .models import Priority


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=10_000, label="What happened?")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    attachment = forms.FileField(
        required=False, help_text="Optional: a PDF, PNG, JPEG or plain-text file of at most 5 MB."
    )


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=10_000, label="Your reply")


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(5, 0, -1)], coerce=int, widget=forms.RadioSelect, label="How did we do?"
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=120, label="Your name")
    email = forms.EmailField(label="E-mail")
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    captcha = captcha_field()
