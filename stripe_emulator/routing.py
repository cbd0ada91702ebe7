"""Route registry, request object, parameter parsing, rendering, expansion, lists."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .errors import InvalidRequest, invalid, missing
from .store import strip_private

ROUTES: list[tuple[str, re.Pattern, object]] = []
# Callables (request) run before every handled request, under the store lock: Stripe does time-based work
# in the background; the emulator does it lazily when it is next asked something.
TIME_HOOKS: list = []


def route(method: str, pattern: str):
    """Register a handler ``f(request) -> dict | Response`` for METHOD and a path regex."""

    def decorator(func):
        ROUTES.append((method, re.compile("^" + pattern + "$"), func))
        return func

    return decorator


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)


def redirect(location: str, status: int = 303) -> Response:
    return Response(status=status, body=b"", headers={"Location": location})


@dataclass
class Request:
    method: str
    path: str
    params: dict
    headers: dict
    emulator: object
    args: tuple = ()
    request_id: str = ""
    idempotency_key: str | None = None
    base_url: str = ""

    @property
    def em(self):
        return self.emulator

    @property
    def store(self):
        return self.emulator.store

    @property
    def expand(self) -> list[str]:
        value = self.params.get("expand") or []
        return value if isinstance(value, list) else [value]


# -- form decoding ---------------------------------------------------------------------
_SEGMENT = re.compile(r"\[([^\]]*)\]")


def _listify(value):
    if isinstance(value, dict):
        value = {k: _listify(v) for k, v in value.items()}
        if value and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
        return value
    if isinstance(value, list):
        return [_listify(v) for v in value]
    return value


def parse_params(query: str) -> dict:
    """Decode Stripe's form encoding: ``a[b][0][c]=1``, ``expand[]=x``."""
    root: dict = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        head, _, rest = key.partition("[")
        segments = [head] + (_SEGMENT.findall("[" + rest) if rest else [])
        node = root
        for i, segment in enumerate(segments):
            last = i == len(segments) - 1
            if segment == "":  # "[]" appends
                segment = str(len(node))
            if last:
                node[segment] = value
            else:
                node = node.setdefault(segment, {})
                if not isinstance(node, dict):
                    break
    return _listify(root)


def parse_json_or_form(body: bytes, content_type: str) -> dict:
    if not body:
        return {}
    text = body.decode("utf-8", "replace")
    if "json" in (content_type or ""):
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidRequest("Invalid JSON body.")
        return data if isinstance(data, dict) else {}
    return parse_params(text)


# -- parameter helpers -------------------------------------------------------------------
def get_int(params: dict, name: str, required: bool = False, default=None):
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise missing(name)
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(name, f"Invalid integer: {value}")


def get_bool(params: dict, name: str, default=None):
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1"):
        return True
    if str(value).lower() in ("false", "0", ""):
        return False
    raise invalid(name, f"Invalid boolean: {value}")


def get_str(params: dict, name: str, required: bool = False, default=None):
    value = params.get(name)
    if value is None or (required and value == ""):
        if required:
            raise missing(name)
        return default
    if not isinstance(value, str):
        raise invalid(name, f"Invalid string: {name} must be a string.")
    return value


def empty_to_none(value):
    return None if value == "" else value


def apply_metadata(obj: dict, params: dict) -> None:
    """Stripe merges metadata keys; an empty value deletes a key, ``metadata=`` clears."""
    if "metadata" not in params:
        return
    metadata = params["metadata"]
    if metadata == "":
        obj["metadata"] = {}
        return
    if not isinstance(metadata, dict):
        raise invalid("metadata", "Invalid object")
    current = dict(obj.get("metadata") or {})
    for key, value in metadata.items():
        if value == "":
            current.pop(key, None)
        else:
            current[key] = str(value)
    obj["metadata"] = current


# -- rendering and expansion ----------------------------------------------------------------
def render(store, obj, expand: list[str] | None = None):
    data = strip_private(obj)
    for path in expand or []:
        data = _expand(store, data, path.split("."))
    return data


def _expand(store, value, segments):
    if not segments:
        return value
    if isinstance(value, list):
        return [_expand(store, v, segments) for v in value]
    if isinstance(value, str):
        target = store.find(value)
        if target is None:
            return value
        value = strip_private(target)
    if not isinstance(value, dict):
        return value
    head, rest = segments[0], segments[1:]
    if head not in value:
        return value
    child = value[head]
    if isinstance(child, str) and not rest:
        target = store.find(child)
        value[head] = strip_private(target) if target else child
    else:
        value[head] = _expand(store, child, rest) if rest else child
    return value


# -- lists -------------------------------------------------------------------------------
def filter_range(objs: list[dict], params: dict, name: str) -> list[dict]:
    """Stripe's range filters: ``created=ts`` or ``created[gte|gt|lte|lt]=ts``."""
    spec = params.get(name)
    if spec in (None, ""):
        return objs
    if not isinstance(spec, dict):
        spec = {"eq": spec}
    checks = []
    for op, raw in spec.items():
        try:
            bound = int(raw)
        except (TypeError, ValueError):
            raise invalid(f"{name}[{op}]", f"Invalid integer: {raw}")
        checks.append((op, bound))

    def keep(obj):
        value = obj.get(name) or 0
        for op, bound in checks:
            ok = {
                "eq": value == bound,
                "gte": value >= bound,
                "gt": value > bound,
                "lte": value <= bound,
                "lt": value < bound,
            }.get(op, True)
            if not ok:
                return False
        return True

    return [o for o in objs if keep(o)]


def paginate(request: Request, objs: list[dict], url: str) -> dict:
    """A Stripe list object honouring limit / starting_after / ending_before."""
    limit = get_int(request.params, "limit", default=10)
    if not 1 <= limit <= 100:
        raise invalid("limit", "This value must be between 1 and 100.")
    ids = [o["id"] for o in objs]
    starting_after = request.params.get("starting_after")
    ending_before = request.params.get("ending_before")
    if starting_after:
        if starting_after not in ids:
            raise invalid("starting_after", f"No such object: '{starting_after}'")
        after = objs[ids.index(starting_after) + 1 :]
        page, has_more = after[:limit], len(after) > limit
    elif ending_before:
        if ending_before not in ids:
            raise invalid("ending_before", f"No such object: '{ending_before}'")
        before = objs[: ids.index(ending_before)]
        page, has_more = before[-limit:], len(before) > limit
    else:
        page, has_more = objs[:limit], len(objs) > limit
    data = {
        "object": "list",
        "data": page,
        "has_more": has_more,
        "url": url,
    }
    return data
