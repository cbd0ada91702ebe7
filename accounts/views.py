from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError

from . import mfa, services
from .forms import APIKeyForm, DeleteAccountForm, ProfileForm


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile has been saved.")
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "key_form": APIKeyForm(),
            "api_keys": request.user.api_keys.all(),
            "new_key": request.session.pop("new_api_key", None),
            "mfa_enabled": mfa.has_mfa(request.user),
        },
    )


@login_required
@require_POST
def create_api_key(request):
    form = APIKeyForm(request.POST)
    if form.is_valid():
        try:
            key, raw = services.create_api_key(request.user, form.cleaned_data["name"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            # Shown once on the next page, then gone: only the digest is stored.
            request.session["new_api_key"] = {"name": key.name, "secret": raw}
            messages.success(request, f"API key “{key.name}” created. Copy it now: it will not be shown again.")
    else:
        messages.error(request, "Give the key a name of at most 60 characters.")
    return redirect("accounts:profile")


@login_required
@require_POST
def revoke_api_key(request, key_id: int):
    try:
        key = services.revoke_api_key(request.user, key_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"API key “{key.name}” revoked.")
    return redirect("accounts:profile")


@login_required
def delete_account(request):
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.delete_account(request.user)
        logout(request)
        messages.success(request, "Your account has been deleted and your personal data erased.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})
