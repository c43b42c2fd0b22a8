from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.demo import demo_seed


class Command(BaseCommand):
    help = "Creates the demo market (assets, instruments, alice/bob with money, staff 'admin'). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="quantx-demo", help="Password of the demo users.")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="Where the site is served, for the links printed."
        )
        parser.add_argument(
            "--force", action="store_true", help="Seed even on PostgreSQL (demo users have a known password)."
        )

    def handle(self, *args: Any, password: str, force: bool, url: str, **options: Any) -> None:
        if settings.DATABASE_URL and not force:
            raise CommandError(
                "Refusing to create demo users with a known password on PostgreSQL; pass --force."
            )
        summary = demo_seed(password=password)
        self.stdout.write(
            f"Demo market ready ({summary.created_users} users created, {summary.credited} deposits made).\n"
            f"  Log in as {', '.join(summary.users)} with password: {summary.password}\n"
            f"  ('admin' is staff: {url.rstrip('/')}/admin/)"
        )
