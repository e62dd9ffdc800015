from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import audit
from portal.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Recompute the keyed audit hash chain and check it against the signed checkpoints; "
        "exit non-zero naming the first broken event."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="signed checkpoint file to check the chain against (default: AUDIT_CHECKPOINT_FILE when it exists)",
        )

    def handle(self, *args, checkpoints=None, **options):
        path = Path(checkpoints) if checkpoints else Path(settings.AUDIT_CHECKPOINT_FILE)
        if checkpoints and not path.is_file():
            raise CommandError(f"Checkpoint file {path} does not exist.")
        found = []
        if path.is_file():
            try:
                found = audit.read_checkpoints(path)
            except audit.CheckpointError as exc:
                raise CommandError(f"Checkpoint file not trustworthy: {exc}.") from exc
        problem = audit.verify(checkpoints=found)
        if problem is not None:
            raise CommandError(f"Audit chain broken at event #{problem.sequence}: {problem.reason}.")
        count = AuditEvent.objects.count()
        if found:
            latest = max(found, key=lambda c: c.sequence)
            counted = "the signed checkpoint holds" if len(found) == 1 else f"all {len(found)} signed checkpoints hold"
            vouched = f"{counted} (latest #{latest.sequence} at {latest.time})"
        else:
            vouched = "no checkpoints, so events removed from the end would not show"
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} events verified; {vouched}."))
