"""The container's HEALTHCHECK: GET /healthz on the local gunicorn, sent with the first host the site
answers to (ALLOWED_HOSTS), since Django refuses any other Host header. Exit 0 when it answers 200."""

import os
import sys
import urllib.request


def main() -> int:
    host = (os.environ.get("ALLOWED_HOSTS", "").split(",")[0] or "127.0.0.1").strip()
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthcheck failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
