from django.urls import path

from trading import deadman_page, oco_pages, page_actions, page_whatif, views

urlpatterns = [
    path("", views.home, name="home"),
    path("markets/<str:symbol>/", views.trade, name="trade"),
    path("markets/<str:symbol>/order/", views.order_place, name="order-place"),
    path("markets/<str:symbol>/order/test/", page_whatif.order_estimate, name="order-test"),
    path("markets/<str:symbol>/cancel-all/", page_actions.order_cancel_all, name="order-cancel-all"),
    path("markets/<str:symbol>/favourite/", page_actions.favourite, name="favourite"),
    path("markets/<str:symbol>/oco/", oco_pages.order_list_place, name="order-list-place"),
    path("orders/", views.order_history, name="orders"),
    path("order-lists/<int:order_list_id>/cancel/", oco_pages.order_list_cancel, name="order-list-cancel"),
    path("orders/cancel-after/", deadman_page.cancel_after, name="cancel-after"),
    path("orders/<int:order_id>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<int:order_id>/amend/", views.order_amend, name="order-amend"),
    path("fills/", views.fill_history, name="fills"),
    path("fills.csv", views.fills_csv, name="fills-csv"),
    path("positions/", views.positions, name="positions"),
    path("positions/summary.json", page_actions.account_summary, name="account-summary"),
]
