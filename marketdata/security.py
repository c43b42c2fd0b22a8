"""Origin check of WebSocket handshakes that lets non-browser clients in.

Channels' AllowedHostsOriginValidator refuses a handshake without an `Origin` header. Browsers
always send one (and only a browser carries the session cookie that cross-site WebSocket hijacking
abuses), while bots and the documented API clients usually do not: so a missing Origin is allowed
and a present one must still name an allowed host.
"""

from typing import Any

from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator


class BrowserOriginValidator(OriginValidator):
    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return super().valid_origin(parsed_origin)


def browser_origin_validator(application: Any) -> OriginValidator:
    """AllowedHostsOriginValidator's allowed origins, with a missing Origin header accepted."""
    allowed = AllowedHostsOriginValidator(application)
    return BrowserOriginValidator(application, allowed.allowed_origins)
