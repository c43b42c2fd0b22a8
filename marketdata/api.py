"""Public market-data REST API under /api/v1/ (docs/market-data.md): no authentication.

Views parse the query, call one selector and serialize (STYLE rule 1). Errors leave in the one
shape: unknown symbol 400 -1121, bad interval 400 -1120, a value out of range 400 -1100, an
unknown parameter 400 -1104, a catch-up older than the window 410 -1140.
"""

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketdata import selectors
from marketdata.serializers import (
    BookTickerOutputSerializer,
    CandleOutputSerializer,
    CandlesQuerySerializer,
    DepthOutputSerializer,
    DepthQuerySerializer,
    PublicTradeOutputSerializer,
    ServerTimeOutputSerializer,
    TickerOutputSerializer,
    TradesQuerySerializer,
    UpdatesOutputSerializer,
    UpdatesQuerySerializer,
)
from quantx_site.errors import ErrorCode
from quantx_site.openapi import ErrorSerializer, error_responses
from quantx_site.serializers import StrictSerializer, validated

TAG_MARKET = "market"
_BAD_SYMBOL = (ErrorCode.BAD_SYMBOL, "symbol: Invalid symbol 'DOGE-USD'.")
_BAD_LIMIT = (ErrorCode.ILLEGAL_PARAMETER, "limit: Ensure this value is less than or equal to 1000.")


def _errors_400(*extra: tuple[ErrorCode, str]) -> dict[int, OpenApiResponse]:
    return error_responses(400, examples={400: [_BAD_SYMBOL, *extra]})


class PublicApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)


class ServerTimeApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="server_time",
        summary="Server time",
        description="The server's clock, to measure your offset before signing requests (a signed request's "
        "timestamp must be within its receive window: docs/api-auth.md). No database or cache is read.",
        auth=[],
        responses={200: ServerTimeOutputSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(ServerTimeOutputSerializer(selectors.server_time()).data)


class BookTickerApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="market_book_ticker",
        summary="Best bid and ask",
        description="The top of the book, read from the same snapshot as `depth/` (so it equals its first "
        "level on each side), with the market sequence `seq` it reflects. The WebSocket channel "
        "`book:<SYMBOL>` sends the same object on every change of the top of the book.",
        auth=[],
        responses={200: BookTickerOutputSerializer, **_errors_400()},
    )
    def get(self, request: Request, symbol: str) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(BookTickerOutputSerializer(selectors.book_ticker_get(symbol=symbol)).data)


class DepthApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="market_depth",
        summary="Order book depth",
        description="Aggregated levels, best first, consistent with market sequence `seq`: apply WebSocket "
        "`depth` updates whose `prev_seq` is this `seq` (docs/websocket.md).",
        auth=[],
        parameters=[DepthQuerySerializer],
        responses={200: DepthOutputSerializer, **_errors_400(_BAD_LIMIT)},
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = validated(DepthQuerySerializer, request.query_params)
        depth = selectors.depth_get(symbol=symbol, limit=query["limit"])
        body = {"symbol": depth.symbol, "seq": depth.seq, **depth.as_wire(), "checksum": depth.checksum}
        return Response(DepthOutputSerializer(body).data)


class TradesApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="market_trades",
        summary="Recent public trades",
        description="The latest `limit` trades, oldest first.",
        auth=[],
        parameters=[TradesQuerySerializer],
        responses={200: PublicTradeOutputSerializer(many=True), **_errors_400(_BAD_LIMIT)},
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = validated(TradesQuerySerializer, request.query_params)
        trades = selectors.trades_get(symbol=symbol, limit=query["limit"])
        return Response(PublicTradeOutputSerializer(trades, many=True).data)


class TickerApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="market_ticker",
        summary="24 h ticker of one symbol",
        description="Open, high, low, last, volumes and change over the 1440 one-minute periods ending "
        "with the current one, and the best bid and ask.",
        auth=[],
        responses={200: TickerOutputSerializer, **_errors_400()},
    )
    def get(self, request: Request, symbol: str) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(TickerOutputSerializer(selectors.ticker_get(symbol=symbol)).data)


class TickerListApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="market_tickers",
        summary="24 h tickers of every instrument",
        auth=[],
        responses={200: TickerOutputSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        validated(StrictSerializer, request.query_params)
        return Response(TickerOutputSerializer(selectors.tickers_list(), many=True).data)


class CandlesApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="market_candles",
        summary="OHLCV candles",
        description="Candles whose open time is in [start, end] (ms, UTC), oldest first, at most `limit`: "
        "counted from `start` if given, else ending at `end` (or now). A period without trades is a flat "
        "candle at the previous close with zero volume; periods before the first trade are left out.",
        auth=[],
        parameters=[CandlesQuerySerializer],
        responses={
            200: CandleOutputSerializer(many=True),
            **_errors_400(
                (
                    ErrorCode.BAD_INTERVAL,
                    'interval: "2m" is not a valid interval; use one of 1m, 5m, 15m, 1h, 4h, 1d.',
                ),
                (ErrorCode.ILLEGAL_PARAMETER, "start: must not be after end."),
                (ErrorCode.MANDATORY_PARAM_MISSING, "interval: This field is required."),
            ),
        },
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = validated(CandlesQuerySerializer, request.query_params)
        candles = selectors.candles_get(
            symbol=symbol, interval=query["interval"], start=query.get("start"), end=query.get("end"),
            limit=query["limit"],
        )  # fmt: skip
        return Response(CandleOutputSerializer([c.as_wire() for c in candles], many=True).data)


_GONE: dict[int | str, Any] = {
    410: OpenApiResponse(
        response=ErrorSerializer,
        description="The window no longer holds updates after since_seq: take a new snapshot.",
        examples=[
            OpenApiExample(
                "RESYNC_REQUIRED (-1140)",
                value={
                    "code": int(ErrorCode.RESYNC_REQUIRED),
                    "msg": "Updates after seq 1200 are no longer available; take a new depth snapshot.",
                    "field": "since_seq",
                },
                status_codes=["410"],
                response_only=True,
            )
        ],
    )
}


class UpdatesApi(PublicApi):
    @extend_schema(
        tags=[TAG_MARKET],
        operation_id="market_updates",
        summary="Catch up on missed depth and trade updates",
        description="Every depth update (with its trades) after `since_seq`, oldest first, from a short "
        "window (the last 500 updates of the symbol), so a client that lost its connection briefly can "
        "continue its book without a new snapshot. Older: 410 -1140.",
        auth=[],
        parameters=[UpdatesQuerySerializer],
        responses={
            200: UpdatesOutputSerializer,
            **_errors_400((ErrorCode.ILLEGAL_PARAMETER, "since_seq: 1300 is ahead of the stream (at 1250).")),
            **_GONE,
        },
    )
    def get(self, request: Request, symbol: str) -> Response:
        query = validated(UpdatesQuerySerializer, request.query_params)
        updates = selectors.updates_get(symbol=symbol, since_seq=query["since_seq"])
        body = {"symbol": updates.symbol, "seq": updates.seq, "updates": updates.updates}
        return Response(UpdatesOutputSerializer(body).data)
