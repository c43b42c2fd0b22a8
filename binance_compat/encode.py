"""QuantX data in Binance's shapes: names, string decimals with 8 places, millisecond times.

Pure functions of the dicts and rows the selectors and services return (and of the /ws/v1/ frames
for the streams, binance_compat.stream_encoders), so REST and WebSocket say the same thing the same
way. Symbols are Binance names (BTCUSD).
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from binance_compat.symbols import binance_name, binance_symbol
from marketdata.candles import datetime_to_ms
from trading.filters import MAX_TRAILING_DELTA
from trading.models import Instrument, InstrumentStatus, OrderListStatus, OrderStatus, OrderType

ZERO = "0.00000000"
ORDER_TYPES = [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET, OrderType.STOP_LOSS_LIMIT,
               OrderType.TAKE_PROFIT_LIMIT]  # fmt: skip
_STOP_TYPES = (OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
STP_MODES = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]
_STATUS = {
    InstrumentStatus.TRADING: "TRADING",
    InstrumentStatus.HALTED: "HALT",
    InstrumentStatus.CANCEL_ONLY: "BREAK",
}


def d8(value: Any) -> str:
    """An amount as Binance writes it: "0.10000000". None is "0.00000000"."""
    if value is None or value == "":
        return ZERO
    return f"{Decimal(value):.8f}"


def ms(value: Any) -> int:
    """A time (datetime, ISO string or ms) in ms since the epoch."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return datetime_to_ms(value)


def _get(order: Any, name: str, default: Any = None) -> Any:
    if isinstance(order, Mapping):
        return order.get(name, default)
    return getattr(order, name, default)


# ------------------------------------------------------------------------------ exchangeInfo


def symbol_info(instrument: Instrument) -> dict[str, Any]:
    tick, lot = d8(instrument.tick_size), d8(instrument.lot_size)
    return {
        "symbol": binance_name(instrument),
        "status": _STATUS.get(instrument.status, "BREAK"),  # type: ignore[call-overload]
        "baseAsset": instrument.base.code,
        "baseAssetPrecision": 8,
        "quoteAsset": instrument.quote.code,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": [str(t) for t in ORDER_TYPES],
        "icebergAllowed": False,
        "ocoAllowed": True,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": True,
        "cancelReplaceAllowed": False,
        "amendAllowed": False,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": tick,
                "maxPrice": "92233720368.00000000",
                "tickSize": tick,
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": d8(instrument.min_qty),
                "maxQty": d8(instrument.max_qty),
                "stepSize": lot,
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": d8(instrument.min_qty),
                "maxQty": d8(instrument.max_qty),
                "stepSize": lot,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": d8(instrument.min_notional),
                "applyMinToMarket": True,
                "maxNotional": "9000000000.00000000",
                "applyMaxToMarket": False,
                "avgPriceMins": 0,
            },
            {
                "filterType": "TRAILING_DELTA",
                "minTrailingAboveDelta": 1,
                "maxTrailingAboveDelta": MAX_TRAILING_DELTA,
                "minTrailingBelowDelta": 1,
                "maxTrailingBelowDelta": MAX_TRAILING_DELTA,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": STP_MODES,
        "qxSymbol": instrument.symbol,
    }


# ------------------------------------------------------------------------------ orders


def order_list_id(order: Any) -> int:
    """An order's OCO list, or -1 for an order in no list (as Binance writes it)."""
    list_id = _get(order, "order_list_id")
    return -1 if list_id is None else int(list_id)


def _waiting_stop(order: Any) -> bool:
    """A stop (fixed or trailing) that has not triggered yet: not working (Binance's isWorking)."""
    return str(_get(order, "type")) in _STOP_TYPES and not _get(order, "triggered", True)


def _trailing(order: Any) -> dict[str, Any]:
    """A trailing stop's `trailingDelta` and `trailingTime` (tracking from placement: QuantX takes no
    activation price), as Binance adds them; nothing for other orders."""
    delta = _get(order, "trailing_delta")
    if delta is None:
        return {}
    return {"trailingDelta": int(delta), "trailingTime": ms(_get(order, "created_at"))}


def order_info(order: Any) -> dict[str, Any]:
    """GET /api/v3/order, openOrders, allOrders: an order row or the engine's ORDER dict."""
    qty, filled = _get(order, "qty"), _get(order, "filled")
    order_type = str(_get(order, "type"))
    stop = _get(order, "stop_price")
    created, updated = ms(_get(order, "created_at")), ms(_get(order, "updated_at"))
    waiting_stop = _waiting_stop(order)
    return {
        "symbol": binance_symbol(str(_get(order, "symbol"))),
        "orderId": _get(order, "id"),
        "orderListId": order_list_id(order),
        "clientOrderId": _get(order, "client_order_id"),
        "price": d8(_get(order, "price")),
        "origQty": d8(qty if qty is not None else filled),
        "executedQty": d8(filled),
        "cummulativeQuoteQty": d8(_get(order, "quote_filled")),
        "status": str(_get(order, "status")),
        "timeInForce": str(_get(order, "tif") or "GTC"),
        "type": order_type,
        "side": str(_get(order, "side")),
        "stopPrice": d8(stop),
        "icebergQty": ZERO,
        "time": created,
        "updateTime": updated,
        "isWorking": not waiting_stop
        and str(_get(order, "status")) in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED),
        "workingTime": -1 if waiting_stop else created,
        "origQuoteOrderQty": d8(_get(order, "quote_qty")),
        "selfTradePreventionMode": str(_get(order, "stp") or "NONE"),
        **_trailing(order),
    }


def order_ack(order: Any) -> dict[str, Any]:
    return {
        "symbol": binance_symbol(str(_get(order, "symbol"))),
        "orderId": _get(order, "id"),
        "orderListId": order_list_id(order),
        "clientOrderId": _get(order, "client_order_id"),
        "transactTime": ms(_get(order, "updated_at")),
    }


def order_result(order: Any) -> dict[str, Any]:
    info = order_info(order)
    out = order_ack(order)
    for name in ("price", "origQty", "executedQty", "origQuoteOrderQty", "cummulativeQuoteQty", "status",
                 "timeInForce", "type", "side"):  # fmt: skip
        out[name] = info[name]
    if _get(order, "stop_price") is not None or _get(order, "trailing_delta") is not None:
        out["stopPrice"] = info["stopPrice"]
    out.update(_trailing(order))
    out["workingTime"] = info["workingTime"]
    out["selfTradePreventionMode"] = info["selfTradePreventionMode"]
    return out


def order_full(order: Any) -> dict[str, Any]:
    return {**order_result(order), "fills": [fill_info(f) for f in _get(order, "fills") or []]}


def fill_info(fill: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "price": d8(fill["price"]),
        "qty": d8(fill["qty"]),
        "commission": d8(fill["fee"]),
        "commissionAsset": fill["fee_asset"],
        "tradeId": fill["trade_id"],
    }


def order_canceled(order: Any) -> dict[str, Any]:
    info = order_result(order)
    info["origClientOrderId"] = info["clientOrderId"]
    info.pop("workingTime", None)
    return info


def my_trade(fill: Any) -> dict[str, Any]:
    """A trading.selectors.Fill as a myTrades row."""
    return {
        "symbol": binance_symbol(fill.symbol),
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": -1,
        "price": d8(fill.price),
        "qty": d8(fill.qty),
        "quoteQty": d8(fill.quote_qty),
        "commission": d8(fill.fee),
        "commissionAsset": fill.fee_asset,
        "time": ms(fill.time),
        "isBuyer": fill.side == "BUY",
        "isMaker": fill.liquidity == "MAKER",
        "isBestMatch": True,
    }


# ------------------------------------------------------------------------------ order lists (OCO)

LIST_STATUS_TYPE = {OrderListStatus.EXECUTING: "EXEC_STARTED", OrderListStatus.ALL_DONE: "ALL_DONE",
                    OrderListStatus.REJECTED: "ALL_DONE"}  # fmt: skip
LIST_ORDER_STATUS = {OrderListStatus.EXECUTING: "EXECUTING", OrderListStatus.ALL_DONE: "ALL_DONE",
                     OrderListStatus.REJECTED: "REJECT"}  # fmt: skip


def _legs(lst: Any) -> list[Any]:
    """A list's two legs, by id (Binance lists them so), from a row or the engine's ORDER_LIST dict."""
    legs = _get(lst, "orders")
    if not isinstance(legs, list):
        legs = list(legs.all())
    return sorted(legs, key=lambda o: int(_get(o, "id")))


def order_list(lst: Any) -> dict[str, Any]:
    """GET /api/v3/orderList, allOrderList, openOrderList: an OrderList row or the engine's dict."""
    status = str(_get(lst, "status"))
    return {
        "orderListId": _get(lst, "id"),
        "contingencyType": "OCO",
        "listStatusType": LIST_STATUS_TYPE.get(status, "ALL_DONE"),  # type: ignore[call-overload]
        "listOrderStatus": LIST_ORDER_STATUS.get(status, "ALL_DONE"),  # type: ignore[call-overload]
        "listClientOrderId": _get(lst, "client_list_id"),
        "transactionTime": ms(_get(lst, "updated_at")),
        "symbol": binance_symbol(str(_get(lst, "symbol"))),
        "orders": [
            {"symbol": binance_symbol(str(_get(o, "symbol"))), "orderId": _get(o, "id"),
             "clientOrderId": _get(o, "client_order_id")}
            for o in _legs(lst)
        ],
    }  # fmt: skip


def order_list_placed(lst: Any, response_type: str) -> dict[str, Any]:
    """POST /api/v3/orderList/oco: the list and a report of each leg (ACK, RESULT or FULL)."""
    encoder = {"ACK": order_ack, "RESULT": order_result, "FULL": order_full}[response_type]
    return {**order_list(lst), "orderReports": [encoder(o) for o in _legs(lst)]}


def order_list_canceled(lst: Any) -> dict[str, Any]:
    """DELETE /api/v3/orderList: the list and each leg as a cancel reports it."""
    return {**order_list(lst), "orderReports": [order_canceled(o) for o in _legs(lst)]}


# ------------------------------------------------------------------------------ market data


def public_trade(trade: Mapping[str, Any]) -> dict[str, Any]:
    """marketdata.selectors.trade_wire -> /api/v3/trades row."""
    return {
        "id": trade["id"],
        "price": d8(trade["price"]),
        "qty": d8(trade["qty"]),
        "quoteQty": d8(trade.get("quote_qty") or Decimal(trade["price"]) * Decimal(trade["qty"])),
        "time": trade["time"],
        "isBuyerMaker": trade["side"] == "SELL",
        "isBestMatch": True,
    }


def agg_trade(trade: Mapping[str, Any]) -> dict[str, Any]:
    """One trade as one aggregate trade (QuantX does not merge fills of one taker)."""
    return {
        "a": trade["id"],
        "p": d8(trade["price"]),
        "q": d8(trade["qty"]),
        "f": trade["id"],
        "l": trade["id"],
        "T": trade["time"],
        "m": trade["side"] == "SELL",
        "M": True,
    }


def kline(candle: Mapping[str, Any]) -> list[Any]:
    """A candle (Candle.as_wire) as a /api/v3/klines row. QuantX does not split volume by the
    taker's side, so the two taker-buy volumes are "0" (docs/binance-compat.md)."""
    return [
        candle["open_time"], d8(candle["open"]), d8(candle["high"]), d8(candle["low"]), d8(candle["close"]),
        d8(candle["volume"]), candle["close_time"], d8(candle["quote_volume"]), candle["trades"], ZERO, ZERO, "0",
    ]  # fmt: skip


def levels(rows: list[Any]) -> list[list[str]]:
    return [[d8(p), d8(q)] for p, q in rows]


def ticker_24hr(t: Mapping[str, Any], *, mini: bool = False) -> dict[str, Any]:
    """A QuantX ticker (marketdata.stats.ticker_wire) as Binance's 24 h ticker."""
    last = t["last"]
    out: dict[str, Any] = {
        "symbol": binance_symbol(t["symbol"]),
        "openPrice": d8(t["open"] if t["open"] is not None else last),
        "highPrice": d8(t["high"] if t["high"] is not None else last),
        "lowPrice": d8(t["low"] if t["low"] is not None else last),
        "lastPrice": d8(last),
        "volume": d8(t["volume"]),
        "quoteVolume": d8(t["quote_volume"]),
        "openTime": t["window_start"],
        "closeTime": t["time"],
        "firstId": -1,
        "lastId": -1,
        "count": t["trades"],
    }
    if mini:
        return out
    out.update({
        "priceChange": d8(t["change"] or 0),
        "priceChangePercent": f"{Decimal(t['change_pct'] or 0):.3f}",
        "weightedAvgPrice": d8(_vwap(t)),
        "prevClosePrice": d8(t["open"] if t["open"] is not None else last),
        "lastQty": ZERO,
        "bidPrice": d8(t["best_bid"]),
        "bidQty": d8(t["best_bid_qty"]),
        "askPrice": d8(t["best_ask"]),
        "askQty": d8(t["best_ask_qty"]),
    })  # fmt: skip
    return out


def _vwap(t: Mapping[str, Any]) -> Decimal:
    volume = Decimal(t["volume"] or 0)
    if not volume:
        return Decimal(t["last"] or 0)
    return (Decimal(t["quote_volume"]) / volume).quantize(Decimal("0.00000001"))


def book_ticker(t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "symbol": binance_symbol(t["symbol"]),
        "bidPrice": d8(t["best_bid"]),
        "bidQty": d8(t["best_bid_qty"]),
        "askPrice": d8(t["best_ask"]),
        "askQty": d8(t["best_ask_qty"]),
    }


def price_ticker(t: Mapping[str, Any]) -> dict[str, Any]:
    return {"symbol": binance_symbol(t["symbol"]), "price": d8(t["last"])}


def commission_rates(instrument: Instrument) -> dict[str, Any]:
    """order/test with computeCommissionRates=true: the instrument's rates (no tax, no discount asset)."""
    standard = {"maker": d8(instrument.maker_fee), "taker": d8(instrument.taker_fee)}
    return {
        "standardCommissionForOrder": standard,
        "taxCommissionForOrder": {"maker": ZERO, "taker": ZERO},
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "",
            "discount": ZERO,
        },
    }
