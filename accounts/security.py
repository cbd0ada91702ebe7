def axes_username(request, credentials) -> str:
    """The login e-mail, lower-cased, whether it comes from credentials or the allauth form."""
    value = ""
    if credentials:
        value = credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    if not value and request is not None and hasattr(request, "POST"):
        value = request.POST.get("login", "")
    return str(value).strip().lower()
