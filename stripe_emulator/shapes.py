"""Fixture-shaped object builders.

Each Stripe object starts as a deep copy of an empty skeleton with Stripe's keys at
API version 2026-08-26.dahlia (see ``_skeletons.py``, generated offline from Stripe's
fixtures3.json); builders then set the real fields.
"""

from __future__ import annotations

import copy

from ._skeletons import SKELETONS

API_VERSION = "2026-08-26.dahlia"


def build(kind: str, **fields) -> dict:
    obj = copy.deepcopy(SKELETONS[kind])
    obj["object"] = SKELETONS[kind].get("object", kind)
    if "livemode" in obj:
        obj["livemode"] = False
    if "metadata" in obj:
        obj["metadata"] = {}
    obj.update(fields)
    return obj


def list_object(data: list, url: str, has_more: bool = False) -> dict:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def address(value: dict | None = None) -> dict:
    base = {k: None for k in ("city", "country", "line1", "line2", "postal_code", "state")}
    if value:
        base.update({k: v for k, v in value.items() if k in base})
    return base


def deleted(kind: str, obj_id: str) -> dict:
    return {"id": obj_id, "object": kind, "deleted": True}
