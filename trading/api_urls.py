"""Routes of the trading API, included under /api/v1/ by quantx_site/urls.py."""

from django.urls import path

from trading import api, deadman_api, whatif_api

urlpatterns = [
    path("orders/", api.OrderListApi.as_view(), name="api-orders"),
    path("orders/test/", whatif_api.OrderTestApi.as_view(), name="api-order-test"),
    path("orders/cancel-after/", deadman_api.CancelAfterApi.as_view(), name="api-cancel-after"),
    path("orders/<int:order_id>/", api.OrderDetailApi.as_view(), name="api-order"),
    path(
        "orders/by-client-id/<str:client_order_id>/",
        api.OrderByClientIdApi.as_view(),
        name="api-order-by-client-id",
    ),
    path("trades/", api.TradeListApi.as_view(), name="api-trades"),
    path("positions/", api.PositionListApi.as_view(), name="api-positions"),
    path("instruments/", api.InstrumentListApi.as_view(), name="api-instruments"),
]
