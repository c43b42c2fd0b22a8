"""`{% deadman_panel %}`: the trader's armed dead-man's switch timers, with a form to arm one."""

from typing import Any

from django import template

from trading.deadman import deadman_timers
from trading.selectors import instrument_list

register = template.Library()


@register.inclusion_tag("trading/_deadman.html", takes_context=True)
def deadman_panel(context: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "deadman": deadman_timers(user=request.user),
        "symbols": [i.symbol for i in instrument_list()],
    }
