"""Favourite markets: a per-user star on the markets page. Not money, so written here directly
(the engine owns orders, trades and balances only)."""

from django.db import IntegrityError, transaction

from accounts.models import Favourite, User
from trading.models import Instrument


def favourite_set(*, user: User, instrument: Instrument, on: bool) -> bool:
    """Stars (`on`) or unstars the market; idempotent. Returns whether it is now a favourite."""
    if not on:
        Favourite.objects.filter(user=user, instrument=instrument).delete()
        return False
    try:
        with transaction.atomic():
            Favourite.objects.get_or_create(user=user, instrument=instrument)
    except IntegrityError:  # a concurrent request starred it first: the outcome is the same
        pass
    return True


def favourite_symbols(*, user: User) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(Favourite.objects.filter(user=user).values_list("instrument__symbol", flat=True))
