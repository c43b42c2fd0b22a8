"""Cursor pagination for every list endpoint: newest first by id, `limit` per page (default 50, max 500).

A cursor is opaque to clients. One that does not decode to a position we issued is refused with
400, code -1100 (field "cursor"), never a 404 or a 500: DRF's own decoding lets any string through
as the position, which the database would then refuse to compare with an integer id.
"""

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from quantx_site.errors import ApiError, ErrorCode
from quantx_site.serializers import StrictSerializer

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_ID = 2**63 - 1


class IdCursorPagination(CursorPagination):
    """Pages of a queryset ordered by `-id` (ids are positive 64-bit integers)."""

    ordering = "-id"
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    template = None

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor: Cursor | None = super().decode_cursor(request)
        except NotFound:
            raise _bad_cursor() from None
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)
            if not (position.isascii() and position.isdigit() and 0 < int(position) <= MAX_ID):
                raise _bad_cursor()
        return cursor

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["next", "previous", "results"]
        return response


def _bad_cursor() -> ApiError:
    return ApiError(
        ErrorCode.ILLEGAL_PARAMETER,
        "cursor: Invalid cursor; use the next/previous links as given.",
        field="cursor",
    )


class PageQuerySerializer(StrictSerializer):
    """Query parameters of a paginated list; subclasses add their filters. Unknown ones: -1104."""

    # Cursors are base64 (DRF): a pattern keeps the schema true and any URL under the servers' limits.
    cursor = serializers.RegexField(
        r"^[A-Za-z0-9+/=_-]+$", required=False, max_length=500, help_text="From a `next`/`previous` link."
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"Rows per page (default {DEFAULT_LIMIT}).",
    )
