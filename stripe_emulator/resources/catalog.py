"""Products, prices and coupons."""

from __future__ import annotations

import copy
import re

from ..errors import InvalidRequest, invalid, missing
from ..routing import apply_metadata, empty_to_none, filter_range, get_bool, get_int, get_str, paginate, route
from ..shapes import build, deleted

_CUSTOM_ID = re.compile(r"^[A-Za-z0-9_\-]{1,200}$")


def _custom_id(request, kind: str, prefix: str, param="id") -> str:
    custom = request.params.get(param)
    if custom:
        if not _CUSTOM_ID.match(custom):
            raise invalid(param, "Invalid id.")
        if request.store.maybe(kind, custom):
            raise InvalidRequest(f"{kind.capitalize()} already exists.", code="resource_already_exists", param=param)
        return custom
    return request.store.new_id(prefix, 14 if prefix == "prod_" else 24)


# -- products ---------------------------------------------------------------------------
def _apply_product(request, product):
    params = request.params
    for name in ("name", "description", "statement_descriptor", "unit_label", "url", "tax_code"):
        if name in params:
            product[name] = empty_to_none(params[name])
    if "active" in params:
        product["active"] = get_bool(params, "active")
    if "images" in params:
        product["images"] = list(params["images"] or [])
    if "marketing_features" in params:
        product["marketing_features"] = [{"name": f.get("name")} for f in (params["marketing_features"] or [])]
    if "default_price" in params:
        price_id = empty_to_none(params["default_price"])
        if price_id:
            request.store.get("price", price_id, "default_price")
        product["default_price"] = price_id
    apply_metadata(product, params)


def create_product_record(request, params: dict, custom_id: str | None = None) -> dict:
    store = request.store
    if not params.get("name"):
        raise missing("name")
    now = request.em.now()
    product = build(
        "product",
        id=custom_id or store.new_id("prod_", 14),
        active=True,
        created=now,
        updated=now,
        name=params["name"],
        images=[],
        marketing_features=[],
        package_dimensions=None,
        type="service",
    )
    sub_request = copy.copy(request)
    sub_request.params = params
    _apply_product(sub_request, product)
    store.add(product)
    request.em.emit("product.created", product)
    return product


@route("POST", r"/v1/products")
def create_product(request):
    custom = _custom_id(request, "product", "prod_") if request.params.get("id") else None
    product = create_product_record(request, request.params, custom)
    price_data = request.params.get("default_price_data")
    if isinstance(price_data, dict):
        price = create_price_record(request, {**price_data, "product": product["id"]})
        before = copy.deepcopy(product)
        product["default_price"] = price["id"]
        request.em.emit("product.updated", product, request.em.changed(before, product))
    return product


@route("GET", r"/v1/products/([\w\-]+)")
def retrieve_product(request):
    return request.store.get("product", request.args[0])


@route("POST", r"/v1/products/([\w\-]+)")
def update_product(request):
    product = request.store.get("product", request.args[0])
    before = copy.deepcopy(product)
    _apply_product(request, product)
    product["updated"] = request.em.now()
    request.em.emit("product.updated", product, request.em.changed(before, product))
    return product


@route("DELETE", r"/v1/products/([\w\-]+)")
def delete_product(request):
    product = request.store.get("product", request.args[0])
    if any(p["product"] == product["id"] for p in request.store.all("price")):
        raise InvalidRequest(
            "This product cannot be deleted because it has one or more user-created prices.",
            code="resource_in_use",
        )
    product["_deleted"] = True
    request.em.emit("product.deleted", product)
    return deleted("product", product["id"])


@route("GET", r"/v1/products")
def list_products(request):
    params = request.params
    objs = request.store.all("product")
    if "active" in params:
        active = get_bool(params, "active")
        objs = [p for p in objs if p["active"] == active]
    if params.get("ids"):
        ids = set(params["ids"])
        objs = [p for p in objs if p["id"] in ids]
    objs = filter_range(objs, params, "created")
    return paginate(request, objs, "/v1/products")


# -- prices -------------------------------------------------------------------------------
def _claim_lookup_key(request, price, lookup_key, transfer):
    if not lookup_key:
        price["lookup_key"] = None
        return
    for other in request.store.all("price"):
        if other["id"] != price["id"] and other.get("lookup_key") == lookup_key:
            if not transfer:
                raise InvalidRequest(
                    f"A price (`{other['id']}`) already uses that lookup key.",
                    code="lookup_key_in_use",
                    param="lookup_key",
                )
            before = copy.deepcopy(other)
            other["lookup_key"] = None
            request.em.emit("price.updated", other, request.em.changed(before, other))
    price["lookup_key"] = lookup_key


def create_price_record(request, params: dict) -> dict:
    store = request.store
    currency = get_str(params, "currency", required=True).lower()
    product_id = params.get("product")
    if not product_id and isinstance(params.get("product_data"), dict):
        product_id = create_product_record(request, params["product_data"])["id"]
    if not product_id:
        raise missing("product")
    store.get("product", product_id, "product")
    if params.get("unit_amount") in (None, "") and params.get("unit_amount_decimal") in (None, ""):
        raise missing("unit_amount")
    unit_amount = get_int(params, "unit_amount")
    if unit_amount is None:
        unit_amount = int(float(params["unit_amount_decimal"]))
    if unit_amount < 0:
        raise invalid("unit_amount", "This value must be greater than or equal to 0.")
    recurring = None
    if isinstance(params.get("recurring"), dict):
        interval = params["recurring"].get("interval")
        if interval not in ("day", "week", "month", "year"):
            raise invalid(
                "recurring[interval]", "Invalid recurring[interval]: must be one of day, week, month, or year"
            )
        recurring = {
            "interval": interval,
            "interval_count": get_int(params["recurring"], "interval_count", default=1),
            "meter": None,
            "usage_type": params["recurring"].get("usage_type", "licensed"),
            "trial_period_days": get_int(params["recurring"], "trial_period_days"),
        }
    price = build(
        "price",
        id=store.new_id("price_"),
        active=get_bool(params, "active", True),
        billing_scheme="per_unit",
        created=request.em.now(),
        currency=currency,
        custom_unit_amount=None,
        nickname=empty_to_none(params.get("nickname")),
        product=product_id,
        recurring=recurring,
        tax_behavior=params.get("tax_behavior", "unspecified"),
        tiers_mode=None,
        transform_quantity=None,
        type="recurring" if recurring else "one_time",
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
    )
    _claim_lookup_key(request, price, params.get("lookup_key"), get_bool(params, "transfer_lookup_key", False))
    sub = copy.copy(request)
    sub.params = params
    apply_metadata(price, params)
    store.add(price)
    request.em.emit("price.created", price)
    return price


@route("POST", r"/v1/prices")
def create_price(request):
    return create_price_record(request, request.params)


@route("GET", r"/v1/prices/(price_\w+)")
def retrieve_price(request):
    return request.store.get("price", request.args[0])


@route("POST", r"/v1/prices/(price_\w+)")
def update_price(request):
    params = request.params
    price = request.store.get("price", request.args[0])
    before = copy.deepcopy(price)
    if "active" in params:
        price["active"] = get_bool(params, "active")
    if "nickname" in params:
        price["nickname"] = empty_to_none(params["nickname"])
    if "lookup_key" in params:
        _claim_lookup_key(
            request, price, empty_to_none(params["lookup_key"]), get_bool(params, "transfer_lookup_key", False)
        )
    apply_metadata(price, params)
    request.em.emit("price.updated", price, request.em.changed(before, price))
    return price


@route("GET", r"/v1/prices")
def list_prices(request):
    params = request.params
    objs = request.store.all("price")
    if "active" in params:
        active = get_bool(params, "active")
        objs = [p for p in objs if p["active"] == active]
    if params.get("product"):
        objs = [p for p in objs if p["product"] == params["product"]]
    if params.get("type"):
        objs = [p for p in objs if p["type"] == params["type"]]
    if params.get("currency"):
        objs = [p for p in objs if p["currency"] == params["currency"].lower()]
    if params.get("lookup_keys"):
        keys = params["lookup_keys"]
        keys = set(keys if isinstance(keys, list) else [keys])
        objs = [p for p in objs if p.get("lookup_key") in keys]
    recurring = params.get("recurring")
    if isinstance(recurring, dict) and recurring.get("interval"):
        objs = [p for p in objs if p["recurring"] and p["recurring"]["interval"] == recurring["interval"]]
    objs = filter_range(objs, params, "created")
    return paginate(request, objs, "/v1/prices")


# -- coupons ---------------------------------------------------------------------------------
@route("POST", r"/v1/coupons")
def create_coupon(request):
    params = request.params
    percent_off = params.get("percent_off")
    amount_off = get_int(params, "amount_off")
    if percent_off in (None, "") and amount_off is None:
        raise missing("percent_off")
    if amount_off is not None and not params.get("currency"):
        raise missing("currency")
    duration = params.get("duration", "once")
    if duration not in ("once", "repeating", "forever"):
        raise invalid("duration", "Invalid duration: must be one of forever, once, or repeating")
    coupon_id = params.get("id") or request.store.new_id("", 8)
    if request.store.maybe("coupon", coupon_id):
        raise InvalidRequest("Coupon already exists.", code="resource_already_exists", param="id")
    coupon = build(
        "coupon",
        id=coupon_id,
        amount_off=amount_off,
        created=request.em.now(),
        currency=(params.get("currency") or "").lower() or None,
        duration=duration,
        duration_in_months=get_int(params, "duration_in_months"),
        max_redemptions=get_int(params, "max_redemptions"),
        name=params.get("name"),
        percent_off=float(percent_off) if percent_off not in (None, "") else None,
        redeem_by=get_int(params, "redeem_by"),
        times_redeemed=0,
        valid=True,
    )
    apply_metadata(coupon, params)
    request.store.add(coupon)
    request.em.emit("coupon.created", coupon)
    return coupon


@route("GET", r"/v1/coupons/([\w\-]+)")
def retrieve_coupon(request):
    return request.store.get("coupon", request.args[0])


@route("POST", r"/v1/coupons/([\w\-]+)")
def update_coupon(request):
    coupon = request.store.get("coupon", request.args[0])
    before = copy.deepcopy(coupon)
    if "name" in request.params:
        coupon["name"] = empty_to_none(request.params["name"])
    apply_metadata(coupon, request.params)
    request.em.emit("coupon.updated", coupon, request.em.changed(before, coupon))
    return coupon


@route("DELETE", r"/v1/coupons/([\w\-]+)")
def delete_coupon(request):
    coupon = request.store.get("coupon", request.args[0])
    coupon["_deleted"] = True
    request.em.emit("coupon.deleted", coupon)
    return deleted("coupon", coupon["id"])


@route("GET", r"/v1/coupons")
def list_coupons(request):
    objs = filter_range(request.store.all("coupon"), request.params, "created")
    return paginate(request, objs, "/v1/coupons")


@route("GET", r"/v1/products/([\w\-]+)/features")
def list_product_features(request):
    product = request.store.get("product", request.args[0])
    return paginate(request, [], f"/v1/products/{product['id']}/features")


# -- promotion codes --------------------------------------------------------------------------
_CODE = re.compile(r"^[A-Za-z0-9\-]{3,200}$")


def promotion_code_usable(request, promo: dict) -> str | None:
    """Why a promotion code cannot be applied now (None when it can): Stripe's wording."""
    if not promo.get("active"):
        return f"This promotion code is inactive: {promo['code']}."
    if promo.get("expires_at") and request.em.now() >= promo["expires_at"]:
        return f"This promotion code has expired: {promo['code']}."
    if promo.get("max_redemptions") is not None and promo["times_redeemed"] >= promo["max_redemptions"]:
        return f"This promotion code has reached its maximum number of redemptions: {promo['code']}."
    coupon = request.store.maybe("coupon", (promo.get("promotion") or {}).get("coupon"))
    if coupon is None or not coupon.get("valid"):
        return f"The coupon of this promotion code is no longer valid: {promo['code']}."
    return None


def redeem_promotion_code(request, promo_id: str) -> None:
    """A Checkout Session that used the code was paid: one more redemption (inactive at the maximum)."""
    promo = request.store.maybe("promotion_code", promo_id)
    if promo is None:
        return
    before = copy.deepcopy(promo)
    promo["times_redeemed"] += 1
    if promo.get("max_redemptions") is not None and promo["times_redeemed"] >= promo["max_redemptions"]:
        promo["active"] = False
    coupon = request.store.maybe("coupon", (promo.get("promotion") or {}).get("coupon"))
    if coupon is not None:
        coupon["times_redeemed"] = (coupon.get("times_redeemed") or 0) + 1
        if coupon.get("max_redemptions") is not None and coupon["times_redeemed"] >= coupon["max_redemptions"]:
            coupon["valid"] = False
    request.em.emit("promotion_code.updated", promo, request.em.changed(before, promo))


@route("POST", r"/v1/promotion_codes")
def create_promotion_code(request):
    params = request.params
    promotion = params.get("promotion") if isinstance(params.get("promotion"), dict) else {}
    coupon_id = promotion.get("coupon") or params.get("coupon")
    if not coupon_id:
        raise missing("promotion[coupon]")
    if promotion and promotion.get("type", "coupon") != "coupon":
        raise invalid("promotion[type]", "Invalid promotion type: must be coupon.")
    coupon = request.store.get("coupon", coupon_id, "promotion[coupon]")
    code = params.get("code") or request.store.new_id("", 8).upper()
    if not _CODE.match(code):
        raise invalid("code", "Invalid code: use letters, digits and dashes.")
    if any(p["code"].lower() == code.lower() and p["active"] for p in request.store.all("promotion_code")):
        raise InvalidRequest(
            "An active promotion code with `code` already exists.", code="resource_already_exists", param="code"
        )
    promo = build(
        "promotion_code",
        id=request.store.new_id("promo_", 24),
        active=True if params.get("active") is None else bool(get_bool(params, "active")),
        code=code,
        created=request.em.now(),
        customer=empty_to_none(params.get("customer")),
        expires_at=get_int(params, "expires_at"),
        max_redemptions=get_int(params, "max_redemptions"),
        times_redeemed=0,
        promotion={"coupon": coupon["id"], "type": "coupon"},
    )
    apply_metadata(promo, params)
    request.store.add(promo)
    request.em.emit("promotion_code.created", promo)
    return promo


@route("GET", r"/v1/promotion_codes/(promo_\w+)")
def retrieve_promotion_code(request):
    return request.store.get("promotion_code", request.args[0])


@route("POST", r"/v1/promotion_codes/(promo_\w+)")
def update_promotion_code(request):
    promo = request.store.get("promotion_code", request.args[0])
    before = copy.deepcopy(promo)
    if "active" in request.params:
        promo["active"] = bool(get_bool(request.params, "active"))
    apply_metadata(promo, request.params)
    request.em.emit("promotion_code.updated", promo, request.em.changed(before, promo))
    return promo


@route("GET", r"/v1/promotion_codes")
def list_promotion_codes(request):
    params = request.params
    objs = request.store.all("promotion_code")
    if params.get("code"):
        objs = [p for p in objs if p["code"].lower() == str(params["code"]).lower()]
    if params.get("active") is not None:
        wanted = bool(get_bool(params, "active"))
        objs = [p for p in objs if p["active"] == wanted]
    if params.get("coupon"):
        objs = [p for p in objs if (p.get("promotion") or {}).get("coupon") == params["coupon"]]
    objs = filter_range(objs, params, "created")
    return paginate(request, objs, "/v1/promotion_codes")
