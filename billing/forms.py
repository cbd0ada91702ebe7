from django import forms


class RefundForm(forms.Form):
    amount = forms.IntegerField(
        required=False,
        min_value=1,
        label="Amount (minor units, e.g. cents)",
        help_text="Leave empty for a full refund.",
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
