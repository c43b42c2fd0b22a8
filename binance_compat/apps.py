from django.apps import AppConfig


class BinanceCompatConfig(AppConfig):
    name = "binance_compat"
    verbose_name = "Binance-compatible API"
