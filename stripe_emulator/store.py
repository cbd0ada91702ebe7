"""Thread-safe in-memory state, id generation and optional JSON persistence."""

from __future__ import annotations

import copy
import json
import os
import secrets
import string
import threading
import time
from pathlib import Path

from .errors import NotFound

_ALPHABET = string.ascii_letters + string.digits

# id prefix -> collection (object type); longest prefixes first.
PREFIXES = {
    "cs_test_": "checkout.session",
    "price_": "price",
    "prod_": "product",
    "cus_": "customer",
    "pm_": "payment_method",
    "pi_": "payment_intent",
    "ch_": "charge",
    "re_": "refund",
    "sub_": "subscription",
    "si_": "subscription_item",
    "in_": "invoice",
    "ii_": "invoiceitem",
    "il_": "line_item",
    "inpay_": "invoice_payment",
    "evt_": "event",
    "acct_": "account",
    "trr_": "transfer_reversal",
    "tr_": "transfer",
    "we_": "webhook_endpoint",
    "clock_": "test_helpers.test_clock",
    "txn_": "balance_transaction",
    "seti_": "setup_intent",
}

# Human names used in "No such ..." messages.
KIND_NAMES = {
    "checkout.session": "checkout.session",
    "payment_method": "PaymentMethod",
    "payment_intent": "payment_intent",
    "test_helpers.test_clock": "test_clock",
    "webhook_endpoint": "webhook endpoint",
    "invoiceitem": "invoice item",
}


def random_token(length: int = 24) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def strip_private(value):
    """Deep copy without the emulator's private ``_`` keys."""
    if isinstance(value, dict):
        return {k: strip_private(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list):
        return [strip_private(v) for v in value]
    return value


class Store:
    def __init__(self, state_file: str | os.PathLike | None = None):
        self.lock = threading.RLock()
        self.state_file = Path(state_file) if state_file else None
        self.reset()
        if self.state_file and self.state_file.exists():
            self.load()

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict[str, dict]] = {}
            self.idempotency: dict[str, dict] = {}
            self.sequence = 0
            self.platform_account_id = self.new_id("acct_", 16)

    # ids and time ---------------------------------------------------------------
    def new_id(self, prefix: str, length: int = 24) -> str:
        return prefix + random_token(length)

    def next_sequence(self) -> int:
        with self.lock:
            self.sequence += 1
            return self.sequence

    @staticmethod
    def wall_time() -> int:
        return int(time.time())

    # collections -----------------------------------------------------------------
    def collection(self, kind: str) -> dict[str, dict]:
        return self.objects.setdefault(kind, {})

    def add(self, obj: dict) -> dict:
        with self.lock:
            obj.setdefault("_seq", self.next_sequence())
            self.collection(obj["object"])[obj["id"]] = obj
            return obj

    def get(self, kind: str, obj_id, param: str = "id") -> dict:
        obj = self.collection(kind).get(obj_id) if isinstance(obj_id, str) else None
        if obj is None or obj.get("_deleted"):
            raise NotFound(KIND_NAMES.get(kind, kind), str(obj_id), param)
        return obj

    def maybe(self, kind: str, obj_id) -> dict | None:
        if not isinstance(obj_id, str):
            return None
        obj = self.collection(kind).get(obj_id)
        return None if obj is None or obj.get("_deleted") else obj

    def delete(self, kind: str, obj_id: str) -> None:
        with self.lock:
            self.collection(kind).pop(obj_id, None)

    def all(self, kind: str) -> list[dict]:
        """Objects of a kind, newest first (Stripe's list order)."""
        objs = [o for o in self.collection(kind).values() if not o.get("_deleted")]
        return sorted(objs, key=lambda o: (o.get("created") or 0, o.get("_seq", 0)), reverse=True)

    def find(self, obj_id: str) -> dict | None:
        """Look an object up by the prefix of its id."""
        if not isinstance(obj_id, str):
            return None
        for prefix, kind in PREFIXES.items():
            if obj_id.startswith(prefix):
                return self.maybe(kind, obj_id)
        return None

    # persistence -----------------------------------------------------------------
    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy(
                {
                    "objects": self.objects,
                    "sequence": self.sequence,
                    "platform_account_id": self.platform_account_id,
                }
            )

    def save(self) -> None:
        if not self.state_file:
            return
        data = self.snapshot()
        tmp = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.state_file)

    def load(self) -> None:
        data = json.loads(self.state_file.read_text())
        with self.lock:
            self.objects = data.get("objects", {})
            self.sequence = data.get("sequence", 0)
            self.platform_account_id = data.get("platform_account_id", self.platform_account_id)
