"""The production settings, plus one reference endpoint for calibration (see bench/urls.py)."""

from config.settings.prod import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
