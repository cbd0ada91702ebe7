"""Building the metrics page: one process's registry, or every process's (multiprocess mode), plus the
scrape-time gauges. Shared by the /metrics view and the worker and beat exporters."""

import os

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder

from .collector import ScrapeCollector


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


class _Forward:
    """The process's default registry inside another registry."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()


def build_registry(*, scrape_gauges: bool) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    if scrape_gauges:
        registry.register(ScrapeCollector())
    return registry


def render(accept: str, *, scrape_gauges: bool = True) -> tuple[bytes, str]:
    encoder, content_type = choose_encoder(accept or "")
    return encoder(build_registry(scrape_gauges=scrape_gauges)), content_type
