from django.core.management.base import BaseCommand, CommandError

from access.services import reconcile_permissions


class Command(BaseCommand):
    help = "Report drift between active grants and guardian permissions; --fix repairs it."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Assign missing and remove unexplained permissions.")

    def handle(self, *args, fix: bool = False, **options):
        drift = reconcile_permissions(fix=fix)
        if drift.clean:
            self.stdout.write(self.style.SUCCESS("No drift: every active grant carries its permission, and no more."))
            return
        for user, asset, codename in drift.missing:
            self.stdout.write(f"missing: user {user} has an active grant but no {codename} on asset {asset}")
        for user, asset, codename in drift.extra:
            self.stdout.write(f"extra:   user {user} holds {codename} on asset {asset} without an active grant")
        summary = f"{len(drift.missing)} missing, {len(drift.extra)} extra"
        if fix:
            self.stdout.write(self.style.SUCCESS(f"Repaired: {summary}."))
        else:
            raise CommandError(f"Drift found ({summary}); run with --fix to repair.")
