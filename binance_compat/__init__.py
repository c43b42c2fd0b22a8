"""A Binance-spot-compatible facade over QuantX (docs/binance-compat.md, ARCHITECTURE decision 10).

REST under /api/v3/, market streams at /ws/<stream>, /ws and /stream?streams=, user data through
listen keys and the WebSocket API at /ws-api/v3. Every request reaches the same services, selectors
and engine seam as /api/v1/; only names, shapes and error codes differ, each mapped once here.
"""
