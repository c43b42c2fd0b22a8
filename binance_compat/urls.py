"""Routes of /api/v3/ (mounted at the server root by quantx_site/urls.py, as Binance has them)."""

from django.urls import path, re_path

from binance_compat import api_market as market
from binance_compat import api_order_lists as order_lists
from binance_compat import api_trading as trading
from binance_compat.base import NotSupportedApi

urlpatterns = [
    path("ping", market.PingApi.as_view()),
    path("time", market.TimeApi.as_view()),
    path("exchangeInfo", market.ExchangeInfoApi.as_view()),
    path("depth", market.DepthApi.as_view()),
    path("trades", market.TradesApi.as_view()),
    path("aggTrades", market.AggTradesApi.as_view()),
    path("klines", market.KlinesApi.as_view()),
    path("uiKlines", market.KlinesApi.as_view()),
    path("avgPrice", market.AvgPriceApi.as_view()),
    path("ticker/24hr", market.Ticker24hrApi.as_view()),
    path("ticker/price", market.TickerPriceApi.as_view()),
    path("ticker/bookTicker", market.BookTickerApi.as_view()),
    path("order", trading.OrderApi.as_view()),
    path("order/test", trading.OrderTestApi.as_view()),
    path("openOrders", trading.OpenOrdersApi.as_view()),
    path("orderList/oco", order_lists.OcoApi.as_view()),
    path("orderList", order_lists.OrderListApi.as_view()),
    path("allOrderList", order_lists.AllOrderListApi.as_view()),
    path("openOrderList", order_lists.OpenOrderListApi.as_view()),
    path("allOrders", trading.AllOrdersApi.as_view()),
    path("myTrades", trading.MyTradesApi.as_view()),
    path("account", trading.AccountApi.as_view()),
    path("userDataStream", trading.UserDataStreamApi.as_view()),
    re_path(r"^.*$", NotSupportedApi.as_view()),
]
