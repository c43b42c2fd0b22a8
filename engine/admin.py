"""Staff "verify" page in the admin, at /admin/verify/: the ledger proofs and the engine's state hash.

It runs what `manage.py verify_ledger --engine` runs (engine.worker.verify.ledger_verify with the hash the
running engine reports through the `state` op) and shows the report. The checks read the database
in several statements while the engine keeps committing, so on a busy market one run can see a
half-applied batch. `verify_stable` therefore asks the engine for its hash before and after each
run: a run during which the engine's state did not move is a true answer (pass or fail); a run
during which it moved is repeated, up to VERIFY_ATTEMPTS times, and reported as inconclusive if
the market never held still that long.

The page hooks into the default admin site's URLs (`admin.site.get_urls`), so it lives under
/admin/ with the admin's login, permissions and look, without a custom AdminSite.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from engine import admin_timers  # noqa: F401  (registers the dead-man's switch timers, read-only)
from engine.client.errors import engine_send
from engine.client.protocol import OP_STATE
from quantx_site.errors import ApiError

if TYPE_CHECKING:
    from engine.worker.verify import LedgerReport

VERIFY_ATTEMPTS = 8


def ledger_verify(*, engine_hash: str | None = None) -> "LedgerReport":
    """The worker's ledger proofs (engine.worker.verify: they rebuild a state from the database),
    loaded only when staff run them, so web processes never load the worker's modules otherwise."""
    from engine.worker.verify import ledger_verify as verify

    return verify(engine_hash=engine_hash)


@dataclass(frozen=True)
class VerifyResult:
    report: "LedgerReport"
    attempts: int
    stable: bool
    """False when the engine's state moved during every attempt: the last report may be off."""
    engine_error: str = ""
    """Why the engine's hash could not be compared (it did not answer); the ledger checks still ran."""
    open_orders: int | None = None


def _engine_state() -> dict[str, Any]:
    return engine_send({"op": OP_STATE})


def verify_stable(*, attempts: int = VERIFY_ATTEMPTS) -> VerifyResult:
    """Ledger conservation + ledger = balances + holds = locked, and engine hash = rebuilt hash,
    measured while the engine's state held still (see the module docstring)."""
    try:
        before = _engine_state()
    except ApiError as exc:  # the engine did not answer
        return VerifyResult(ledger_verify(), attempts=1, stable=True, engine_error=exc.msg)
    report = ledger_verify(engine_hash=before["state_hash"])
    for attempt in range(1, attempts + 1):
        after = _engine_state()
        if after["state_hash"] == before["state_hash"]:
            return VerifyResult(report, attempts=attempt, stable=True, open_orders=after.get("open_orders"))
        if attempt == attempts:
            break
        before = after
        report = ledger_verify(engine_hash=before["state_hash"])
    return VerifyResult(report, attempts=attempts, stable=False, open_orders=before.get("open_orders"))


def verify_view(request: HttpRequest) -> HttpResponse:
    """GET: the page with a button; POST: run the checks and show the result."""
    result = verify_stable() if request.method == "POST" else None
    context = {
        **admin.site.each_context(request),
        "title": "Verify the books",
        "result": result,
        "lines": result.report.lines() if result else [],
    }
    return TemplateResponse(request, "admin/verify.html", context)


_default_get_urls = admin.site.get_urls


def _get_urls() -> list[URLResolver | URLPattern]:
    verify = path("verify/", admin.site.admin_view(verify_view), name="verify")
    return [verify, *_default_get_urls()]


admin.site.get_urls = _get_urls  # type: ignore[method-assign]
