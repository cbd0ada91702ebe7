from django import forms


class CorrectionForm(forms.Form):
    amount = forms.IntegerField(
        min_value=-1_000_000, max_value=1_000_000, help_text="Tokens to add (or, negative, to take away). Not zero."
    )
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept on the entry.")
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("A correction moves the balance: give a number other than zero.")
        return amount
