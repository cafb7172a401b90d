import pytest

from app.pricing import Basket, total


def test__total__multiplies_by_quantity():
    assert total("apple", 2) == 100


def test__total__rejects_negative_quantity():
    with pytest.raises(ValueError):
        total("apple", -1)


class TestBasket:
    def test__value__sums_items(self):
        basket = Basket()
        basket.add("pear", 2)
        assert basket.value() == 140

    @pytest.mark.parametrize("sku", ["apple", "kiwi"])
    def test__value__knows_sku(self, sku):
        basket = Basket()
        basket.add(sku)
        assert basket.value() > 0

    def test__value__bulk_discount(self):
        assert total("apple", 10) == 999
