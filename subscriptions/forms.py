from django import forms

from .models import Interval, Tier


class PlanForm(forms.Form):
    tier = forms.SlugField(max_length=30)
    interval = forms.ChoiceField(choices=Interval.choices)


class ConfirmChangeForm(PlanForm):
    proration_date = forms.IntegerField(required=False, widget=forms.HiddenInput)


class GrantForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=Tier.objects.exclude(code=Tier.FREE))
    valid_until = forms.DateTimeField(required=False, help_text="Leave empty for no end date.")
    reason = forms.CharField(max_length=255, widget=forms.Textarea(attrs={"rows": 2}))


class RevokeForm(forms.Form):
    reason = forms.CharField(max_length=255, widget=forms.Textarea(attrs={"rows": 2}))
