from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.views import admin_login

api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("trading.api_urls")),
    path("", include("accounts.api_account_urls")),
    path("", include("marketdata.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]

urlpatterns = [
    path("admin/login/", admin_login, name="admin-login"),  # the one login limit (accounts.views)
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/v3/", include("binance_compat.urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("accounts/", include("accounts.urls")),
    path("", include("trading.urls")),
]

handler400 = "quantx_site.errors.handler400"
handler404 = "quantx_site.errors.handler404"
handler500 = "quantx_site.errors.handler500"
