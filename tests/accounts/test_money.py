"""Money is exact on SQLite and PostgreSQL (run in both passes of `make test`)."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from accounts.models import Balance, LedgerEntry
from accounts.money import MAX_AMOUNT, MoneyField, from_atoms, to_atoms
from tests.factories import make_asset, make_instrument, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_large_balance_round_trips_exactly():
    balance = Balance.objects.create(
        user=make_user(), asset=make_asset("BTC"), free=Decimal("12345678901.12345678")
    )
    balance.refresh_from_db()
    assert balance.free == Decimal("12345678901.12345678")
    assert str(balance.free) == "12345678901.12345678"


def test_smallest_price_round_trips_exactly():
    instrument = make_instrument(
        "ETH-BTC", tick_size=Decimal("0.00000001"), lot_size=Decimal("1"), min_qty=Decimal("1")
    )
    instrument.refresh_from_db()
    assert instrument.tick_size == Decimal("0.00000001")


def test_largest_storable_amount_round_trips():
    balance = Balance.objects.create(user=make_user(), asset=make_asset("USD"), free=MAX_AMOUNT)
    balance.refresh_from_db()
    assert balance.free == MAX_AMOUNT == Decimal("92233720368.54775807")


def test_sums_in_sql_are_exact():
    asset = make_asset("BTC")
    user = make_user()
    amounts = [Decimal("12345678901.12345678"), Decimal("0.00000001"), Decimal("-0.1"), Decimal("0.2")]
    for amount in amounts:
        LedgerEntry.objects.create(
            user=user, asset=asset, delta_free=amount, delta_locked=0, reason="ADJUSTMENT"
        )
    total = LedgerEntry.objects.aggregate(total=Sum("delta_free"))["total"]
    assert total == sum(amounts) == Decimal("12345678901.22345679")


def test_filters_compare_exact_amounts():
    asset = make_asset("BTC")
    Balance.objects.create(user=make_user(), asset=asset, free=Decimal("0.30000001"))
    Balance.objects.create(user=make_user(), asset=asset, free=Decimal("0.3"))
    assert Balance.objects.filter(free__gt=Decimal("0.3")).count() == 1
    assert Balance.objects.filter(free=Decimal("0.30000000")).count() == 1


def test_more_than_eight_decimals_is_refused_not_rounded():
    with pytest.raises(ValueError, match="decimal places"):
        to_atoms(Decimal("0.000000001"))
    user, asset = make_user(), make_asset("BTC")
    with pytest.raises(ValueError), transaction.atomic():
        Balance.objects.create(user=user, asset=asset, free=Decimal("1.123456789"))
    assert not Balance.objects.exists()


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e30", "abc", ""])
def test_non_finite_or_out_of_range_amounts_are_refused(bad):
    with pytest.raises(ValueError):
        to_atoms(bad)


def test_float_is_refused_by_the_field():
    with pytest.raises(TypeError, match="float"):
        MoneyField().get_prep_value(0.1)


def test_atoms_convert_both_ways():
    assert to_atoms("1.5") == 150_000_000
    assert from_atoms(150_000_000) == Decimal("1.5")
    assert from_atoms(1) == Decimal("0.00000001")
    assert f"{from_atoms(1):f}" == "0.00000001"
