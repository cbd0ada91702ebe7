"""Wait until a URL answers (used by the run command to start the site after the Stripe emulator)."""

import sys
import time
import urllib.error
import urllib.request


def main(url: str, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return 0
        except urllib.error.HTTPError:
            return 0  # it answered
        except OSError:
            time.sleep(0.3)
    print(f"{url} did not answer within {timeout:.0f}s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 30.0))
