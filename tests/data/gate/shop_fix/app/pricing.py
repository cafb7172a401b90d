"""Prices and discounts."""

import functools
from collections.abc import Callable


def cache(fn: Callable[[str], int]) -> Callable[[str], int]:
    return functools.lru_cache(maxsize=None)(fn)


@cache
def unit_price(sku: str) -> int:
    """The price of one unit, in cents."""
    # Known products only.
    prices = {
        "apple": 50,
        "pear": 70,
    }
    return prices[sku]


def total(sku: str, quantity: int) -> int:
    if quantity < 0:
        raise ValueError("negative quantity")
    price = unit_price(sku) * quantity
    if quantity >= 10:
        price = discount(price,
                         10)
    return price


def discount(price: int, percent: int) -> int:
    return price - price * percent // 100


class Basket:
    def __init__(self) -> None:
        self.items: list[tuple[str, int]] = []

    def add(self, sku: str, quantity: int = 1) -> None:
        self.items.append((sku, quantity))

    def value(self) -> int:
        return sum(total(s, q) for s, q in self.items)

    def clear(self) -> None:
        try:
            self.items.clear()
        except AttributeError:
            self.items = []
        else:
            pass
