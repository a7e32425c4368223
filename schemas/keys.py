"""Message keys: every event of one unit (or one reference entity) shares one key."""

from __future__ import annotations

from typing import Any


def event_key(event: Any) -> bytes:
    """The Kafka message key for an event: serial, else product, else the reference entity.

    Other producers must use the same UTF-8 string (no JSON quoting) so that one unit's events land
    on one partition whatever client published them.
    """
    product = getattr(event, "product", None)
    if product is not None:
        if product.serial:
            return product.serial.encode()
        return _product_key(product.brand, product.model, product.variant)
    dealer_id = getattr(event, "dealer_id", None)
    if event.event_type == "dealer.registered" and dealer_id:
        return f"dealer:{dealer_id}".encode()
    brand = getattr(event, "brand", None)
    if brand is not None:
        return _product_key(brand, event.model, getattr(event, "variant", None))
    return str(event.event_id).encode()


def _product_key(brand: str, model: str, variant: str | None) -> bytes:
    return f"{brand}|{model}|{variant or ''}".encode()
