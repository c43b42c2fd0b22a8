"""Candles: SQL buckets per period, gap filling, UTC boundaries, a trade exactly on a boundary."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marketdata.candles import candles_query, datetime_to_ms, ms_to_datetime, period_range
from tests.factories import make_instrument, make_order, make_trade, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, 10:00:00.000 UTC
MIN = 60_000


@pytest.fixture
def trade_at(db):
    instrument = make_instrument("BTC-USD")
    alice, bob = make_user("alice"), make_user("bob")

    def trade_at(ms: int, price: str, qty: str = "1"):
        maker = make_order(alice, instrument, side="SELL", price=Decimal(price))
        taker = make_order(bob, instrument, side="BUY", price=Decimal(price))
        return make_trade(taker, maker, price=price, qty=qty, created_at=ms_to_datetime(ms))

    trade_at.instrument = instrument
    return trade_at


def query(trade_at, interval_s, *, start=None, end=None, limit=10, now=None):
    t0 = datetime_to_ms(T0)
    return [
        c.as_wire()
        for c in candles_query(
            instrument_id=trade_at.instrument.id,
            interval_s=interval_s,
            now_ms=now or t0 + 60 * MIN,
            start=start,
            end=end,
            limit=limit,
        )
    ]


def test_trades_are_aggregated_into_ohlcv_per_period(trade_at):
    t0 = datetime_to_ms(T0)
    trade_at(t0 + 1_000, "100", "1")
    trade_at(t0 + 20_000, "105", "2")
    trade_at(t0 + 40_000, "98", "1")
    trade_at(t0 + 59_999, "101", "0.5")
    [candle] = query(trade_at, 60, start=t0, end=t0)
    assert candle == {
        "open_time": t0, "close_time": t0 + MIN - 1, "open": "100", "high": "105", "low": "98", "close": "101",
        "volume": "4.5", "quote_volume": "458.5", "trades": 4,
    }  # fmt: skip


def test_an_empty_period_is_a_flat_candle_at_the_previous_close(trade_at):
    t0 = datetime_to_ms(T0)
    trade_at(t0 + 5_000, "100")
    trade_at(t0 + 10_000, "102")
    trade_at(t0 + 3 * MIN + 1, "99")
    candles = query(trade_at, 60, start=t0, end=t0 + 3 * MIN)
    assert [(c["open_time"] - t0) // MIN for c in candles] == [0, 1, 2, 3]
    assert [(c["open"], c["close"], c["volume"], c["trades"]) for c in candles] == [
        ("100", "102", "2", 2),
        ("102", "102", "0", 0),
        ("102", "102", "0", 0),
        ("99", "99", "1", 1),
    ]


def test_a_gap_at_the_start_is_filled_from_the_last_trade_before_it(trade_at):
    t0 = datetime_to_ms(T0)
    trade_at(t0 - 7 * MIN, "90")
    candles = query(trade_at, 60, start=t0, end=t0 + MIN)
    assert [(c["open"], c["high"], c["volume"]) for c in candles] == [("90", "90", "0"), ("90", "90", "0")]


def test_periods_before_the_first_trade_are_left_out(trade_at):
    t0 = datetime_to_ms(T0)
    trade_at(t0 + 2 * MIN, "100")
    candles = query(trade_at, 60, start=t0, end=t0 + 3 * MIN)
    assert [(c["open_time"] - t0) // MIN for c in candles] == [2, 3]


def test_a_trade_exactly_on_a_boundary_opens_the_new_period(trade_at):
    t0 = datetime_to_ms(T0)
    trade_at(t0 + 5 * MIN - 1, "100")  # 10:04:59.999 -> the 10:00 five-minute candle
    trade_at(t0 + 5 * MIN, "200")  # 10:05:00.000 exactly -> the 10:05 candle
    first, second = query(trade_at, 300, start=t0, end=t0 + 5 * MIN)
    assert (first["open_time"], first["close"], first["trades"]) == (t0, "100", 1)
    assert (second["open_time"], second["open"], second["trades"]) == (t0 + 5 * MIN, "200", 1)


def test_hour_four_hour_and_day_periods_align_to_utc(trade_at):
    t0 = datetime_to_ms(T0)  # 10:00 UTC
    trade_at(t0 + 90 * MIN, "100")  # 11:30
    day = datetime_to_ms(datetime(2026, 3, 2, tzinfo=UTC))
    assert [c["open_time"] for c in query(trade_at, 3600, start=t0, end=t0 + 120 * MIN, now=t0 + 120 * MIN)] == [
        t0 + 60 * MIN, t0 + 120 * MIN,
    ]  # fmt: skip
    four = query(trade_at, 14_400, start=day, end=t0 + 120 * MIN, now=t0 + 120 * MIN)
    assert [(c["open_time"], c["trades"]) for c in four] == [  # 00:00 and 04:00 are before the first trade
        (datetime_to_ms(datetime(2026, 3, 2, 8, tzinfo=UTC)), 1),
        (datetime_to_ms(datetime(2026, 3, 2, 12, tzinfo=UTC)), 0),
    ]
    [daily] = query(trade_at, 86_400, end=t0 + 120 * MIN, limit=1, now=t0 + 120 * MIN)
    assert (daily["open_time"], daily["close_time"]) == (day, day + 86_400_000 - 1)


def test_sub_millisecond_times_stay_in_their_period(trade_at):
    t0 = datetime_to_ms(T0)
    instrument = trade_at.instrument
    maker = make_order(make_user(), instrument, side="SELL")
    taker = make_order(make_user(), instrument, side="BUY")
    make_trade(
        taker, maker, price="100", qty="1", created_at=datetime(2026, 3, 2, 10, 0, 59, 999_999, tzinfo=UTC)
    )
    [candle] = query(trade_at, 60, start=t0, end=t0)
    assert (candle["open_time"], candle["trades"]) == (t0, 1)


@pytest.mark.parametrize(
    ("start", "end", "limit", "expected"),
    [
        (None, None, 3, (57 * MIN, 59 * MIN)),  # the last `limit` periods up to now (59:30)
        (10 * MIN, None, 3, (10 * MIN, 12 * MIN)),  # counted from start
        (10 * MIN + 1, None, 2, (11 * MIN, 12 * MIN)),  # open times >= start
        (None, 20 * MIN + 5, 2, (19 * MIN, 20 * MIN)),  # ending at end
        (10 * MIN, 11 * MIN, 100, (10 * MIN, 11 * MIN)),  # both
        (58 * MIN, 90 * MIN, 100, (58 * MIN, 59 * MIN)),  # never beyond the period in progress
        (70 * MIN, None, 5, None),  # only the future
    ],
)
def test_period_range(start, end, limit, expected):
    assert (
        period_range(interval_ms=MIN, now_ms=59 * MIN + 30_000, start=start, end=end, limit=limit) == expected
    )
