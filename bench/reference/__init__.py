"""The naive peer issue 20 measures Lyceum against: a plain Django + DRF project (see settings.py)."""
