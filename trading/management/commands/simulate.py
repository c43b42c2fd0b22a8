"""`manage.py simulate`: simulated traders against a running QuantX server (trading/simulation.py)."""

import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trading.simulation import Settings, Simulation, SimulationError


class Command(BaseCommand):
    help = (
        "Runs a demo market: a market maker quoting around a drifting price and a taker crossing the spread, "
        "as ordinary API clients (JWT) of the server at --url. Stops on SIGINT/SIGTERM or after --duration."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="The running server (default %(default)s)."
        )
        parser.add_argument(
            "--symbols", default="", help="Comma-separated symbols (default: every TRADING one)."
        )
        parser.add_argument(
            "--rate", type=float, default=3.0, help="Most orders/cancels per second per symbol."
        )
        parser.add_argument("--levels", type=int, default=8, help="Maker quotes per side per symbol.")
        parser.add_argument(
            "--duration", type=float, default=0.0, help="Seconds to run; 0 (default): until stopped."
        )
        parser.add_argument("--prefix", default="sim", help="Account names: <prefix>-maker, <prefix>-taker.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a repeatable run.")
        parser.add_argument(
            "--wait", type=float, default=60.0, help="Seconds to wait for the server to answer."
        )
        parser.add_argument(
            "--keep-orders", action="store_true", help="Leave the maker's quotes in the book on exit."
        )
        parser.add_argument(
            "--quiet", action="store_true", help="Only the start, the stop and problems; no running figures."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["rate"] <= 50:
            raise CommandError("--rate must be above 0 and at most 50 orders per second per symbol")
        if not 1 <= options["levels"] <= 20:
            raise CommandError("--levels must be 1 to 20")
        symbols = [s.strip() for s in options["symbols"].split(",") if s.strip()] or None
        simulation = Simulation(
            Settings(
                url=options["url"].rstrip("/"), symbols=symbols, rate=options["rate"], levels=options["levels"],
                duration=options["duration"], prefix=options["prefix"], seed=options["seed"], wait=options["wait"],
                keep_orders=options["keep_orders"], quiet=options["quiet"], credentials=Path(settings.VAR_DIR) / "simulator-accounts.json",
            ),
            out=lambda line: self.stdout.write(line),
        )  # fmt: skip
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: simulation.stop())
        try:
            stats = simulation.run()
        except SimulationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"simulate: done. {stats.line()}")
