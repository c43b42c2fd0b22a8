"""The REST API's one parser: JSON with a depth limit (docs/errors.md -1101).

The size limit is Django's DATA_UPLOAD_MAX_MEMORY_SIZE: DRF reads JSON bodies through
`request.body`, which raises RequestDataTooBig, answered 413 -1100 by quantx_site.errors.
"""

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json as drf_json

from quantx_site.jsonsafe import JsonTooDeep, json_loads


class SafeJSONParser(JSONParser):
    """DRF's JSONParser (strict: no NaN/Infinity) that refuses documents nested deeper than
    quantx_site.jsonsafe.MAX_JSON_DEPTH with -1101 instead of failing with RecursionError."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            return json_loads(stream.read().decode(encoding), parse_constant=drf_json.strict_constant)
        except JsonTooDeep as exc:
            raise ParseError(f"JSON parse error - {exc}.") from None
        except ValueError as exc:  # syntax, NaN/Infinity, bytes that do not decode
            raise ParseError(f"JSON parse error - {exc}") from None
