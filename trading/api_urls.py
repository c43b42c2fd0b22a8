"""Routes of the trading API, included under /api/v1/ by quantx_site/urls.py."""

from django.urls import path

from trading import api, deadman_api, order_lists_api, whatif_api

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
    path("order-lists/oco/", order_lists_api.OcoPlaceApi.as_view(), name="api-order-list-oco"),
    path("order-lists/", order_lists_api.OrderListListApi.as_view(), name="api-order-lists"),
    path(
        "order-lists/<int:order_list_id>/",
        order_lists_api.OrderListDetailApi.as_view(),
        name="api-order-list",
    ),
    path("trades/", api.TradeListApi.as_view(), name="api-trades"),
    path("positions/", api.PositionListApi.as_view(), name="api-positions"),
    path("instruments/", api.InstrumentListApi.as_view(), name="api-instruments"),
]
