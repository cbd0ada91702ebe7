"""An S3-compatible server on loopback for tests: moto in server mode, in its own process.

    server = start_s3_server()        # server.endpoint == "http://127.0.0.1:PORT"
    server.create_bucket("lyceum-media")
    ...
    server.stop()

Fixtures (import them into a conftest): ``s3_server`` (session) and ``s3_bucket_storage`` (a fresh bucket per test,
Django's default storage pointed at it through django-storages, as production settings do).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

from config import deployment
from ops.net import free_port

# moto accepts any credentials; boto3 only needs some.
ACCESS_KEY = "lyceum-test-access-key"
SECRET_KEY = "lyceum-test-secret-key"  # noqa: S105 - a local test server's
REGION = "us-east-1"


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"lyceum-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def storage_options(self, bucket: str) -> dict:
        """STORAGES["default"] as the settings build it for this server."""
        return deployment.s3_storage(bucket=bucket, endpoint_url=self.endpoint, region=REGION)

    def environment(self, bucket: str) -> dict[str, str]:
        """The environment variables that make a Lyceum process store uploads in this bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_s3_server(max_seconds: int = 3600) -> S3Server:
    """moto's S3 server on a free loopback port; it exits by itself after max_seconds at the latest."""
    last_error = ""
    for _ in range(3):  # another process may take the port between our probe and moto's bind
        port = free_port()
        process = subprocess.Popen(
            ["timeout", str(max_seconds), sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "MOTO_PORT": str(port)},
        )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=1)
                return S3Server(endpoint=endpoint, process=process)
            except requests.ConnectionError:
                time.sleep(0.1)
        last_error = process.stderr.read().decode(errors="replace")[-2000:] if process.poll() is not None else ""
        process.kill()
        process.wait(5)
    raise RuntimeError(f"moto's S3 server did not start: {last_error}")


@pytest.fixture(scope="session")
def s3_server():
    server = start_s3_server()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket_storage(s3_server, settings, monkeypatch):
    """Django's default storage in a fresh bucket on the local S3 server; yields (server, bucket)."""
    bucket = s3_server.create_bucket()
    for name, value in s3_server.environment(bucket).items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storage_options(bucket)}
    yield s3_server, bucket
