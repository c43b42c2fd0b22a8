"""Routes of the public market-data API, included under /api/v1/ by quantx_site/urls.py."""

from django.urls import path

from marketdata import api

urlpatterns = [
    path("markets/<str:symbol>/depth/", api.DepthApi.as_view(), name="api-market-depth"),
    path("markets/<str:symbol>/trades/", api.TradesApi.as_view(), name="api-market-trades"),
    path("markets/<str:symbol>/ticker/", api.TickerApi.as_view(), name="api-market-ticker"),
    path("markets/<str:symbol>/candles/", api.CandlesApi.as_view(), name="api-market-candles"),
    path("markets/<str:symbol>/updates/", api.UpdatesApi.as_view(), name="api-market-updates"),
    path("tickers/", api.TickerListApi.as_view(), name="api-tickers"),
    path("time/", api.ServerTimeApi.as_view(), name="api-time"),
    path("markets/<str:symbol>/book-ticker/", api.BookTickerApi.as_view(), name="api-market-book-ticker"),
]
