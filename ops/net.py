"""A free TCP port on loopback, for the servers tests and drills start (never a fixed port: several test
runs share the machine). Another process may take it before ours binds: callers that can, retry."""

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
