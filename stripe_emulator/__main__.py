"""``python -m stripe_emulator --port 12111 [--host 127.0.0.1] [--state-file PATH]``."""

from __future__ import annotations

import argparse
import signal
import sys

from .server import EmulatorServer
from .shapes import API_VERSION


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stripe_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--state-file", default=None, help="load state from and save it to this JSON file")
    parser.add_argument(
        "--webhook-retry-base",
        type=float,
        default=0.5,
        help="seconds before the first webhook retry; doubles each attempt",
    )
    parser.add_argument("--webhook-max-attempts", type=int, default=5)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    server = EmulatorServer(
        args.host,
        args.port,
        verbose=args.verbose,
        state_file=args.state_file,
        webhook_retry_base=args.webhook_retry_base,
        webhook_max_attempts=args.webhook_max_attempts,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Stripe emulator (API {API_VERSION}) listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
        server.emulator.webhooks.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
