"""Signed endpoints of /api/v3/: orders, my trades, the account, and listen keys.

Orders go through trading.services (the same checks, the same engine seam as /api/v1/orders/);
reads through the trading and accounts selectors. Reads need a key with READ, writes with TRADE.
"""

from decimal import Decimal
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiKeyScope
from accounts.selectors import balance_list
from binance_compat import encode, services
from binance_compat import selectors as facade
from binance_compat.base import SIGNED, USER_STREAM, BinanceApi, form_body
from binance_compat.encode import STP_MODES
from binance_compat.params import parse_pairs
from binance_compat.symbols import instrument_for, symbol_map
from quantx_site.errors import ApiError, ErrorCode
from trading import services as trading
from trading.models import OrderType, Side, TimeInForce
from trading.serializers import CLIENT_ORDER_ID
from trading.whatif import order_test

RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
_ENCODERS = {"ACK": encode.order_ack, "RESULT": encode.order_result, "FULL": encode.order_full}
UNSUPPORTED_ORDER_PARAMS = ("icebergQty", "strategyId", "strategyType", "pegPriceType",
                            "pegOffsetValue", "pegOffsetType")  # fmt: skip
"""Binance order parameters QuantX has no feature for: refused (-1106) rather than ignored."""
_TIF_REQUIRED = {OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}


class SignedApi(BinanceApi):
    security = SIGNED


class _OrderInput:
    """The parameters of a new order, read as Binance names them."""

    def __init__(self, api: BinanceApi) -> None:
        p = api.params
        self.instrument = instrument_for(p.text("symbol", required=True) or "")
        self.side = p.choice("side", Side.values, required=True)
        self.type = p.choice("type", OrderType.values, required=True) or ""
        tif = p.choice("timeInForce", TimeInForce.values)
        if tif is None and self.type in _TIF_REQUIRED:
            raise ApiError(ErrorCode.MANDATORY_PARAM_MISSING, "timeInForce: missing.", field="timeInForce")
        self.tif = tif
        self.qty = p.decimal("quantity")
        self.quote_qty = p.decimal("quoteOrderQty")
        self.price = p.decimal("price")
        self.stop_price = p.decimal("stopPrice")
        self.trailing_delta = p.integer("trailingDelta", maximum=2**31 - 1)
        self.client_order_id = p.text("newClientOrderId", max_length=36)
        if self.client_order_id is not None and not CLIENT_ORDER_ID.regex.fullmatch(self.client_order_id):
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, CLIENT_ORDER_ID.message, field="newClientOrderId")
        self.stp = p.choice("selfTradePreventionMode", STP_MODES) or "NONE"
        self.response_type = p.choice("newOrderRespType", RESPONSE_TYPES) or (
            "FULL" if self.type in (OrderType.LIMIT, OrderType.MARKET) else "ACK"
        )
        for name in UNSUPPORTED_ORDER_PARAMS:
            if p.has(name):
                raise ApiError(ErrorCode.PARAMETER_NOT_REQUIRED, f"{name}: not supported.", field=name)
            p.read.add(name)
        p.done()

    def place(self, api: BinanceApi) -> Any:
        """Places the order (trading.services.order_place); a client order id used before is -2010."""
        placed = trading.order_place(
            user=api.account,
            symbol=self.instrument.symbol,
            side=self.side or "",
            order_type=self.type,
            qty=self.qty,
            quote_qty=self.quote_qty,
            price=self.price,
            stop_price=self.stop_price,
            trailing_delta=self.trailing_delta,
            tif=self.tif,
            stp=self.stp,
            client_order_id=self.client_order_id,
        )
        if placed.duplicate:
            raise ApiError(ErrorCode.NEW_ORDER_REJECTED, "Duplicate order sent.", reason="DUPLICATE_ORDER")
        return placed.order


class OrderApi(SignedApi):
    """POST: place; GET: query; DELETE: cancel (by orderId or origClientOrderId)."""

    def post(self, request: Request) -> Response:
        order_input = _OrderInput(self)
        self.count_order(request)
        order = order_input.place(self)
        return Response(_ENCODERS[order_input.response_type](order))

    def _lookup(self) -> Any:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        order_id = self.params.integer("orderId", minimum=1)
        client_id = self.params.text("origClientOrderId", max_length=36)
        if order_id is None and client_id is None:
            raise ApiError(
                ErrorCode.MANDATORY_PARAM_MISSING, "orderId or origClientOrderId.", field="orderId"
            )
        return facade.order_lookup(
            user=self.account, instrument=instrument, order_id=order_id, client_order_id=client_id
        )

    def get(self, request: Request) -> Response:
        order = self._lookup()
        self.params.done()
        return Response(encode.order_info(order))

    def delete(self, request: Request) -> Response:
        order = self._lookup()
        self.params.text("newClientOrderId", max_length=36)
        self.params.choice("cancelRestrictions", ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"))
        self.params.done()
        canceled = trading.order_cancel(user=self.account, order_id=order.id)
        return Response(encode.order_canceled(canceled))


class OrderTestApi(SignedApi):
    """Tests a new order as POST order would place it, changing nothing: every check of a place,
    the engine's included (funds, instrument status, LIMIT_MAKER / stop rejections), through the
    same service as /api/v1/orders/test/ (trading.whatif). `{}`, or with computeCommissionRates=true
    the instrument's commission rates (weight 20 then, 1 otherwise, as Binance counts it). Not
    counted as an order (Binance's order count ignores test orders too)."""

    def weight_of(self, request: Request) -> int:
        try:
            pairs = parse_pairs(request._request.META.get("QUERY_STRING", ""), form_body(request._request))
        except ApiError:
            return 1  # refused right after, when the parameters are read
        return 20 if pairs.get("computeCommissionRates") == "true" else 1

    def post(self, request: Request) -> Response:
        rates = self.params.choice("computeCommissionRates", ("true", "false")) == "true"
        order_input = _OrderInput(self)
        result = order_test(
            user=self.account, symbol=order_input.instrument.symbol, side=order_input.side or "",
            order_type=order_input.type, qty=order_input.qty, quote_qty=order_input.quote_qty,
            price=order_input.price, stop_price=order_input.stop_price, tif=order_input.tif, stp=order_input.stp,
            client_order_id=order_input.client_order_id, trailing_delta=order_input.trailing_delta,
        )  # fmt: skip
        if result.duplicate is not None:  # as a place would answer it
            raise ApiError(ErrorCode.NEW_ORDER_REJECTED, "Duplicate order sent.", reason="DUPLICATE_ORDER")
        return Response(encode.commission_rates(order_input.instrument) if rates else {})


class OpenOrdersApi(SignedApi):
    def weight_of(self, request: Request) -> int:
        return 6 if "symbol" in request.query_params else 80

    def get(self, request: Request) -> Response:
        symbol = self.params.text("symbol", max_length=20)
        self.params.done()
        instrument = instrument_for(symbol) if symbol is not None else None
        orders = facade.open_orders(user=self.account, instrument=instrument)
        return Response([encode.order_info(o) for o in orders])

    def delete(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        self.params.done()
        canceled = trading.order_cancel_all(user=self.account, symbol=instrument.symbol)
        return Response([encode.order_canceled(o) for o in canceled])


class AllOrdersApi(SignedApi):
    weight = 20

    def get(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        from_id = self.params.integer("orderId", minimum=1)
        start, end = self.params.time_ms("startTime"), self.params.time_ms("endTime")
        limit = self.params.integer("limit", minimum=1, maximum=1000) or 500
        self.params.done()
        orders = facade.orders_of(
            user=self.account,
            instrument=instrument,
            from_id=from_id,
            start=start,
            end=end,
            limit=limit,
        )
        return Response([encode.order_info(o) for o in orders])


class MyTradesApi(SignedApi):
    weight = 20

    def get(self, request: Request) -> Response:
        instrument = instrument_for(self.params.text("symbol", required=True) or "")
        order_id = self.params.integer("orderId", minimum=1)
        from_id = self.params.integer("fromId", minimum=0)
        start, end = self.params.time_ms("startTime"), self.params.time_ms("endTime")
        limit = self.params.integer("limit", minimum=1, maximum=1000) or 500
        self.params.done()
        fills = facade.my_fills(
            user=self.account, instrument=instrument, order_id=order_id, from_id=from_id, start=start, end=end,
            limit=limit,
        )  # fmt: skip
        return Response([encode.my_trade(f) for f in fills])


class AccountApi(SignedApi):
    weight = 20

    def get(self, request: Request) -> Response:
        omit_zero = self.params.choice("omitZeroBalances", ("true", "false")) == "true"
        self.params.done()
        balances = [
            {"asset": b.asset.code, "free": encode.d8(b.free), "locked": encode.d8(b.locked)}
            for b in balance_list(user=self.account)
            if not (omit_zero and not b.free and not b.locked)
        ]
        instruments = list(symbol_map().values())
        maker = max((i.maker_fee for i in instruments), default=Decimal(0))
        taker = max((i.taker_fee for i in instruments), default=Decimal(0))
        return Response({
            "makerCommission": int(maker * 10_000),
            "takerCommission": int(taker * 10_000),
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {"maker": encode.d8(maker), "taker": encode.d8(taker), "buyer": encode.ZERO,
                                "seller": encode.ZERO},
            "canTrade": self.api_key is not None and ApiKeyScope.TRADE in self.api_key.scopes,
            "canWithdraw": False,
            "canDeposit": False,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": 0,
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": self.account.pk,
        })  # fmt: skip


class UserDataStreamApi(BinanceApi):
    """POST: a listen key; PUT: keep it alive; DELETE: close it. The key alone (no signature), as
    Binance's USER_STREAM endpoints take it."""

    security = USER_STREAM
    weight = 2

    def scope_for(self, request: Request) -> str:
        return ApiKeyScope.READ

    def post(self, request: Request) -> Response:
        self.params.done()
        return Response({"listenKey": services.listen_key_create(user=self.account)})

    def put(self, request: Request) -> Response:
        key = self.params.text("listenKey", required=True, max_length=64) or ""
        self.params.done()
        services.listen_key_keepalive(user=self.account, listen_key=key)
        return Response({})

    def delete(self, request: Request) -> Response:
        key = self.params.text("listenKey", required=True, max_length=64) or ""
        self.params.done()
        services.listen_key_close(user=self.account, listen_key=key)
        return Response({})
