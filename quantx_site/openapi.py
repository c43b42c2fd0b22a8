"""OpenAPI pieces shared by every API: the `Error` component and the standard error responses."""

import re
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers

from quantx_site.errors import ErrorCode


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """The one error shape (quantx_site/errors.py); codes are listed in docs/errors.md."""

    code = serializers.IntegerField(help_text="Catalogue code (docs/errors.md), always negative.")
    msg = serializers.CharField(help_text="Human-readable message; do not parse it.")
    field = serializers.CharField(required=False, help_text="The input field or header at fault, if any.")
    reason = serializers.CharField(
        required=False,
        help_text="Machine-readable cause, stage-prefixed (FILTER_TICK_SIZE, AUTH_SCOPE_MISSING...), if any.",
    )


Example = tuple[ErrorCode, str]

_DEFAULTS: dict[int, tuple[str, Example]] = {
    400: (
        "Invalid input; nothing was changed.",
        (ErrorCode.MANDATORY_PARAM_MISSING, "username: This field is required."),
    ),
    401: (
        "Not authenticated, or the signed request was refused.",
        (ErrorCode.UNAUTHORIZED, "Authentication credentials were not provided."),
    ),
    403: (
        "Authenticated, but not allowed.",
        (ErrorCode.REJECTED_API_KEY, "This API key does not have the TRADE scope."),
    ),
    404: ("No such object (or not yours).", (ErrorCode.NOT_FOUND, "Not found.")),
    415: (
        "Body is not application/json.",
        (ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Unsupported media type "text/plain" in request.'),
    ),
    503: (
        "The engine did not answer in time (-1007: outcome unknown, check before retrying) or is busy "
        "(-1008: nothing was done, retry).",
        (ErrorCode.SERVER_BUSY, "The engine is busy; nothing was done. Retry shortly."),
    ),
    429: (
        "Too many requests; wait the seconds given in the Retry-After header.",
        (ErrorCode.TOO_MANY_REQUESTS, "Request was throttled. Expected available in 60 seconds."),
    ),
}


def error_responses(
    *statuses: int, examples: dict[int, list[Example]] | None = None
) -> dict[int, OpenApiResponse]:
    """`extend_schema(responses=...)` entries for error statuses, each an `Error` with examples.

    `examples` replaces the default example of a status with a list of (code, msg).
    """
    responses = {}
    for status_code in statuses:
        description, default = _DEFAULTS[status_code]
        responses[status_code] = OpenApiResponse(
            response=ErrorSerializer,
            description=description,
            examples=[
                OpenApiExample(
                    f"{code.name} ({int(code)})",
                    value={"code": int(code), "msg": msg},
                    status_codes=[str(status_code)],
                    response_only=True,
                )
                for code, msg in (examples or {}).get(status_code, [default])
            ],
        )
    return responses


_DECIMAL_PATTERN = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


SERVER_ANSWERED = "414"
"""A status the HTTP server in front of the API answers itself (not JSON): see schema_make_true."""


def schema_make_true(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: say in the schema what the API enforces (schemathesis checks both ways).

    - Request bodies refuse unknown fields (StrictSerializer, -1104): `additionalProperties: false`.
    - A decimal string needs a digit: DRF's pattern `^-?\\d{0,N}(?:\\.\\d{0,M})?$` also matches "", "-"
      and ".", which the API refuses.
    - A PATCH of an order carries its one field: the amend's `qty` is required (-1102 without it).
    - Every operation may be answered 414 by the HTTP server in front of the API (gunicorn refuses a
      request line over 4094 bytes before Django sees it; a proxy has a limit of its own): not JSON.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
        for prop in component.get("properties", {}).values():
            match = _DECIMAL_PATTERN.match(prop.get("pattern", ""))
            if match:
                whole, places = match.groups()
                prop["pattern"] = rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
    amend = schemas.get("PatchedOrderAmendRequest")
    if amend is not None:
        amend["required"] = ["qty"]
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault(
                    SERVER_ANSWERED,
                    {"description": "URI too long: refused by the HTTP server in front of the API."},
                )
    return result
