from django.core.management.base import BaseCommand, CommandError

from portal import audit
from portal.models import AuditEvent


class Command(BaseCommand):
    help = "Recompute the audit hash chain; exit non-zero naming the first broken event."

    def handle(self, *args, **options):
        problem = audit.verify()
        if problem is not None:
            raise CommandError(f"Audit chain broken at event #{problem.sequence}: {problem.reason}.")
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {AuditEvent.objects.count()} events verified."))
