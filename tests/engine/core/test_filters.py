from decimal import Decimal

import pytest

from engine.core import FilterError, InstrumentSpec, Reason
from tests.engine.core.helpers import BUY, LIMIT, MARKET, STOP_LOSS, SYM, Book, refusal, spec


def test_spec_converts_exact_decimals_to_ticks_and_lots_and_back() -> None:
    s = spec()
    assert s.price_to_ticks(Decimal("100.25")) == 10025
    assert s.qty_to_lots(Decimal("1.5")) == 1500
    assert s.ticks_to_price(10025) == Decimal("100.25")
    assert s.lots_to_qty(1500) == Decimal("1.5")
    assert s.quote_to_units(Decimal("1.00001")) == 100001
    assert (s.format_price(10000), s.format_qty(1500), s.format_qty(0)) == ("100", "1.5", "0")


@pytest.mark.parametrize("price", ["100.255", "0.001", "0", "-1", "NaN", "Infinity", "1e40"])
def test_price_off_the_tick_or_not_positive_is_refused_not_rounded(price: str) -> None:
    with pytest.raises(FilterError) as exc:
        spec().price_to_ticks(Decimal(price))
    assert exc.value.reason is Reason.FILTER_TICK_SIZE


@pytest.mark.parametrize("qty", ["1.0005", "0", "-0.001", "sNaN"])
def test_qty_off_the_lot_or_not_positive_is_refused_not_rounded(qty: str) -> None:
    with pytest.raises(FilterError) as exc:
        spec().qty_to_lots(Decimal(qty))
    assert exc.value.reason is Reason.FILTER_LOT_SIZE


def test_spec_rejects_bad_sizes_and_fees() -> None:
    with pytest.raises(ValueError):
        InstrumentSpec(SYM, Decimal(0), Decimal("1"))
    with pytest.raises(ValueError):
        InstrumentSpec(SYM, Decimal("0.01"), Decimal("1"), taker_fee=Decimal("1"))


def test_engine_refuses_non_positive_price_and_qty_with_coded_reasons() -> None:
    b = Book()
    assert refusal(b.buy(1, 1, 0)) is Reason.FILTER_TICK_SIZE
    assert refusal(b.buy(1, 1, -5)) is Reason.FILTER_TICK_SIZE
    assert refusal(b.buy(1, 0, 100)) is Reason.FILTER_LOT_SIZE
    assert refusal(b.buy(1, -2, 100)) is Reason.FILTER_LOT_SIZE
    assert refusal(b.buy(1, 1, 90, type=STOP_LOSS, stop_price=0)) is Reason.FILTER_TICK_SIZE
    assert b.eng.open_orders() == []
    assert b.depth() == ([], [])


def test_engine_refuses_bad_parameter_combinations() -> None:
    b = Book()
    assert refusal(b.buy(1, 1, None, type=LIMIT)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(1, 1, 100, type=LIMIT, stop_price=90)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(1, 1, 100, type=LIMIT, quote_qty=5)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(1, 1, 100, type=STOP_LOSS)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(1, 1, type=MARKET, stop_price=90)) is Reason.FILTER_BAD_PARAMS
    assert refusal(b.buy(1, 1.5, 100)) is Reason.FILTER_LOT_SIZE  # type: ignore[arg-type]
    assert b.depth() == ([], [])


def test_engine_refuses_plain_strings_instead_of_enum_members() -> None:
    b = Book()
    assert refusal(b.eng.place(1, 1, SYM, "BUY", LIMIT, 1, 100)) is Reason.FILTER_BAD_PARAMS  # type: ignore[arg-type]
    assert refusal(b.eng.place(1, 1, SYM, BUY, "LIMIT", 1, 100)) is Reason.FILTER_BAD_PARAMS  # type: ignore[arg-type]
    assert refusal(b.eng.place(1, 1, SYM, BUY, LIMIT, 1, 100, tif="IOC")) is Reason.FILTER_BAD_PARAMS  # type: ignore[arg-type]
    assert b.depth() == ([], [])


def test_a_refused_place_does_not_use_up_its_id() -> None:
    b = Book()
    assert refusal(b.buy(1, 0, 100, order_id=3)) is Reason.FILTER_LOT_SIZE
    assert b.buy(1, 1, 100, order_id=3)[0].order_id == 3
    assert b.depth() == ([(100, 1)], [])


def test_unknown_symbol_is_refused() -> None:
    b = Book()
    assert refusal(b.eng.place(1, 1, "NOPE", BUY, LIMIT, 1, 100)) is Reason.MATCHING_UNKNOWN_SYMBOL
    assert refusal(b.eng.cancel(1, "NOPE")) is Reason.MATCHING_UNKNOWN_ORDER
    with pytest.raises(KeyError):
        b.eng.depth("NOPE")
    with pytest.raises(ValueError):
        b.eng.add_instrument(spec())
    assert b.depth() == ([], [])


def test_reason_codes_are_stage_prefixed_and_have_a_short_code() -> None:
    assert all(r.stage in ("FILTER", "MATCHING", "RISK") for r in Reason)
    assert Reason.MATCHING_WOULD_TAKE.code == "WOULD_TAKE"
    assert Reason.FILTER_TICK_SIZE.code == "TICK_SIZE"
