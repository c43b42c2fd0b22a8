from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engine.client.errors import engine_send
from engine.worker.verify import ledger_verify
from quantx_site.errors import ApiError


class Command(BaseCommand):
    help = "Checks money conservation, ledger = balances, holds = locked, and (with --engine) the engine's state hash."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--engine", action="store_true", help="Also compare the running engine's state hash."
        )

    def handle(self, *args: Any, engine: bool, **options: Any) -> None:
        engine_hash = None
        if engine:
            try:
                reply = engine_send({"op": "state"})
            except ApiError as exc:
                raise CommandError(f"the engine did not answer: {exc.msg}") from None
            engine_hash = reply["state_hash"]
        report = ledger_verify(engine_hash=engine_hash)
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("verification failed")
