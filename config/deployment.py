"""Settings helpers for a deployment: uploads in an S3-compatible bucket, and the origins that serve the
site's own files when they are not on the site's host (a CDN in front of the static files, the bucket).
The CSP lists those origins; nothing else may load."""

from urllib.parse import urlsplit


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an absolute URL; None for a path such as "/static/"."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def media_origins(
    *, bucket: str, custom_domain: str = "", endpoint_url: str = "", region: str = "", addressing_style: str = ""
) -> list[str]:
    """Where browsers fetch uploads from when they live in an S3 bucket (django-storages' URL rules)."""
    if not bucket:
        return []
    if custom_domain:
        return [f"https://{custom_domain}"]
    if endpoint_url:
        origin = origin_of(endpoint_url)
        if not origin:
            raise ValueError(f"AWS_S3_ENDPOINT_URL must be an absolute URL, not {endpoint_url!r}")
        if addressing_style == "virtual":
            scheme, host = origin.split("://", 1)
            return [f"{scheme}://{bucket}.{host}"]
        # boto3 picks path-style or virtual-hosted itself for custom endpoints: allow both.
        scheme, host = origin.split("://", 1)
        return [origin, f"{scheme}://{bucket}.{host}"]
    hosts = [f"{bucket}.s3.amazonaws.com"]
    if region:
        hosts.append(f"{bucket}.s3.{region}.amazonaws.com")
    return [f"https://{host}" for host in hosts]


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    custom_domain: str = "",
    addressing_style: str = "",
    location: str = "media",
    link_seconds: int = 3600,
) -> dict:
    """STORAGES["default"] for django-storages' S3 backend. Credentials come from boto3's own chain
    (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the pod's role), never from settings."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "custom_domain": custom_domain or None,
            "addressing_style": addressing_style or None,
            "location": location,
            # A private bucket: links are signed and expire (unless a CDN domain fronts it); two uploads of
            # one name never overwrite each other.
            "default_acl": None,
            "querystring_auth": not custom_domain,
            "querystring_expire": link_seconds,
            "file_overwrite": False,
            "signature_version": "s3v4",
        },
    }
