"""Building the metrics page: one process's registry, or every process's (multiprocess mode), plus the
scrape-time gauges. Shared by the /metrics view and the worker and beat exporters."""

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder

from . import multiproc
from .collector import ScrapeCollector


class _Forward:
    """The process's default registry inside another registry."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        yield from self.registry.collect()


def build_registry(*, scrape_gauges: bool) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if multiproc.directory():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    if scrape_gauges:
        registry.register(ScrapeCollector())
    return registry


def render(accept: str, *, scrape_gauges: bool = True) -> tuple[bytes, str]:
    encoder, content_type = choose_encoder(accept or "")
    return encoder(build_registry(scrape_gauges=scrape_gauges)), content_type
