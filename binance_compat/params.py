"""Binance request parameters: the query string and the form body, read as Binance reads them.

Every endpoint reads the names it knows through `Params`; `done()` then refuses any other name
(-1104), so a typo is never silently ignored. Refusals are `ApiError`s with QuantX codes and the
parameter in `field`; binance_compat.errors turns them into Binance's texts, once.
"""

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from accounts.money import DECIMAL_PLACES, MAX_AMOUNT
from quantx_site.errors import ApiError, ErrorCode

_DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,30})?")
_INTEGER = re.compile(r"-?[0-9]{1,19}")
MAX_PARAMS = 64
MAX_TIME_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def parse_pairs(*raw: str) -> dict[str, str]:
    """The parameters of url-encoded strings (query, body); a name sent twice is -1101."""
    out: dict[str, str] = {}
    for text in raw:
        try:
            pairs = parse_qsl(
                text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=MAX_PARAMS
            )
        except ValueError as exc:
            raise ApiError(ErrorCode.MALFORMED_REQUEST, f"Malformed parameters: {exc}.") from None
        for name, value in pairs:
            if name in out:
                raise ApiError(
                    ErrorCode.MALFORMED_REQUEST, "Duplicate values for a parameter detected.", field=name
                )
            out[name] = value
    return out


class Params:
    """Typed reads of one request's parameters; remembers which names were read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.read: set[str] = set()

    def _raw(self, name: str, required: bool) -> str | None:
        self.read.add(name)
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(ErrorCode.MANDATORY_PARAM_MISSING, f"{name}: missing.", field=name)
            return None
        return value

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str, *, required: bool = False, max_length: int = 64) -> str | None:
        value = self._raw(name, required)
        if value is not None and len(value) > max_length:
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"{name}: too long.", field=name)
        return value

    def choice(self, name: str, choices: Iterable[str], *, required: bool = False) -> str | None:
        value = self._raw(name, required)
        if value is not None and value not in set(choices):
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"{name}: not a valid value.", field=name)
        return value

    def integer(
        self, name: str, *, required: bool = False, minimum: int = 0, maximum: int = 2**63 - 1
    ) -> int | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if not _INTEGER.fullmatch(value) or not minimum <= int(value) <= maximum:
            raise ApiError(
                ErrorCode.ILLEGAL_PARAMETER, f"{name}: an integer from {minimum} to {maximum}.", field=name
            )
        return int(value)

    def time_ms(self, name: str) -> int | None:
        """A time in ms since the epoch, up to the year 9999."""
        return self.integer(name, maximum=MAX_TIME_MS)

    def decimal(self, name: str, *, required: bool = False) -> Decimal | None:
        """A positive plain decimal ("0.001"; no sign, exponent, NaN); more than 8 places is -1111."""
        value = self._raw(name, required)
        if value is None:
            return None
        if not _DECIMAL.fullmatch(value):
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"{name}: not a decimal.", field=name)
        try:
            amount = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"{name}: not a decimal.", field=name) from None
        if amount.normalize().as_tuple().exponent < -DECIMAL_PLACES:  # type: ignore[operator]
            raise ApiError(
                ErrorCode.BAD_PRECISION, f"{name}: more than {DECIMAL_PLACES} decimals.", field=name
            )
        if not 0 < amount <= MAX_AMOUNT:
            raise ApiError(ErrorCode.ILLEGAL_PARAMETER, f"{name}: out of range.", field=name)
        return amount

    def symbols(self, name: str) -> list[str] | None:
        """`symbols=["BTCUSD","ETHUSD"]` (a JSON-like list of names, as Binance takes it)."""
        value = self._raw(name, False)
        if value is None:
            return None
        match = re.fullmatch(r'\[\s*("[A-Za-z0-9]{1,20}"\s*(,\s*"[A-Za-z0-9]{1,20}"\s*){0,99})?\]', value)
        if not match:
            raise ApiError(
                ErrorCode.ILLEGAL_PARAMETER, f'{name}: a list like ["BTCUSD","ETHUSD"].', field=name
            )
        return re.findall(r'"([A-Za-z0-9]+)"', value)

    def done(self) -> None:
        """Refuses any parameter the endpoint did not read (-1104)."""
        unread = sorted(set(self.values) - self.read)
        if unread:
            raise ApiError(
                ErrorCode.UNKNOWN_PARAMETER,
                f"Not all sent parameters were read; read '{len(self.values) - len(unread)}' parameter(s) "
                f"but was sent '{len(self.values)}'.",
                field=unread[0],
            )
