"""``manage.py soak --seconds N``: the whole system under injected faults (see kpis/soak.py);
prints its figures as JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from kpis.soak import Soak


class Command(BaseCommand):
    help = (
        "Run web, worker and Redis of its own for --seconds under concurrent overlapping "
        "writers, worker SIGKILLs and Redis outages; fail unless nothing was lost or doubled, "
        "no request got a 500 and the rollups equal a rebuild (PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=60)
        parser.add_argument("--writers", type=int, default=8, help="Concurrent clients.")
        parser.add_argument("--kill-every", type=float, default=10, help="Worker SIGKILL, s.")
        parser.add_argument("--redis-every", type=float, default=30, help="Redis outage, s.")
        parser.add_argument("--redis-down", type=float, default=8, help="Outage length, s.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--keep", action="store_true", help="Keep the soak's organisation and its rows."
        )

    def handle(self, *args, **options):
        soak = Soak(
            seconds=options["seconds"],
            writers=options["writers"],
            kill_every=options["kill_every"],
            redis_every=options["redis_every"],
            redis_down=options["redis_down"],
            seed=options["seed"],
            out=self.stderr.write,
            keep=options["keep"],
        )
        try:
            result = soak.run()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result, indent=2, default=str))
        if not result["ok"]:
            raise CommandError("the soak found lost or doubled rows, 500s or stale rollups")
