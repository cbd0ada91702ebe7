"""Rewards' surface for the other apps (nothing imports rewards today; the site header reads it through the
context processor in rewards.context). What it offers:
    ``wallet_summary(user)`` — balance, streak and league level for the header badge.
"""

from .selectors import wallet_summary

__all__ = ["wallet_summary"]
