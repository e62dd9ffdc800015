from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from portal import demo


class Command(BaseCommand):
    help = "Load the demo organisation (idempotent: running it twice creates nothing twice)."

    def handle(self, *args, **options):
        if settings.DJANGO_ENV == "production":
            # The demo users (a superuser among them) share a password printed in the README.
            raise CommandError(
                "seed_demo refuses to run with DJANGO_ENV=production: its users share the published demo password."
            )
        self.seed()

    @transaction.atomic
    def seed(self):
        context = {"people": demo.seed_people()}
        context["assets"] = demo.seed_assets(context["people"])
        # Each app that has a ``demo`` module adds its part: requests, grants, cases.
        for config in apps.get_app_configs():
            if config.name != "portal" and module_has_submodule(config.module, "demo"):
                import_module(f"{config.name}.demo").seed(context)
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready. Sign in at {settings.PORTAL_BASE_URL}/ as:"))
        for line in demo.describe_people():
            self.stdout.write(line)
        self.stdout.write(f"Every demo user's password: {demo.DEMO_PASSWORD}")
