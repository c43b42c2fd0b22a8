from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"

    def ready(self) -> None:
        from engine.client import on_instruments_version
        from trading import signals  # noqa: F401  (connects the instrument cache's receivers)
        from trading.selectors import instruments_cache_clear

        # An engine reply that shows the instruments changed drops this process's copy at once.
        on_instruments_version(lambda _version: instruments_cache_clear())
