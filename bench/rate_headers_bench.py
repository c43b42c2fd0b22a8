"""What the RateLimit-* headers cost a web process per request (docs/BENCHMARKS.md): recording the
throttle's count on the request and the middleware that writes the four headers, against the
middleware alone on a request no throttle counted. No cache or network: the headers make no round
trip of their own (tests/accounts/test_rate_limit_headers.py proves it on Redis).

    .venv/bin/python bench/rate_headers_bench.py
"""

import os
import sys
import timeit
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantx_site.settings")
django.setup()

from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from accounts.rate_headers import RateLimitHeadersMiddleware, rate_usage_record  # noqa: E402

N = 100_000


def main() -> None:
    factory = RequestFactory()
    counted, uncounted = factory.post("/api/v1/orders/"), factory.get("/api/v1/orders/")
    middleware = RateLimitHeadersMiddleware(lambda request: HttpResponse())

    def one_counted() -> None:
        rate_usage_record(counted, limit=6000, count=5, seconds_left=42.3, window=60)
        middleware(counted)

    base = timeit.timeit(lambda: HttpResponse(), number=N) / N * 1e6
    with_headers = timeit.timeit(one_counted, number=N) / N * 1e6 - base
    without = timeit.timeit(lambda: middleware(uncounted), number=N) / N * 1e6 - base
    print(f"counted request (record + 4 headers): {with_headers:.1f} µs; uncounted request: {without:.1f} µs")


if __name__ == "__main__":
    main()
