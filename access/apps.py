from functools import partial

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"

    def ready(self) -> None:
        from access import panels as access_panels
        from access import selectors
        from access.campaigns import admin as campaigns_admin  # noqa: F401  (registers the admin)
        from access.campaigns import tasks as campaigns_tasks  # noqa: F401  (registers the Celery tasks)
        from access.campaigns.panels import register as register_campaign_panels
        from access.models import SCOPE_PERMISSION
        from access.services import offboarding as access_offboarding
        from portal import offboarding, panels, permissions

        # Grant rows are the truth: the guardian rows they carry are derived, for other readers.
        for scope, perm in SCOPE_PERMISSION.items():
            permissions.register_carrier(perm, partial(selectors.assets_held, scope=scope))

        panels.register("dashboard", "access/panels/waiting.html", access_panels.waiting_panel, order=10)
        panels.register("dashboard", "access/panels/my_pending.html", access_panels.my_pending_panel, order=20)
        panels.register("dashboard", "access/panels/my_access.html", access_panels.my_access_panel, order=30)
        panels.register("asset", "access/panels/asset_access.html", access_panels.asset_access_panel, order=10)
        panels.register("person", "access/panels/person_access.html", access_panels.person_access_panel, order=10)
        panels.register_nav(access_panels.grants_label, "access:grant-list", order=10)
        panels.register_nav("Requests", "access:request-list", order=20)
        panels.register_nav("Review queue", "access:review-queue", visible=access_panels.reviews_anything, order=30)
        register_campaign_panels()
        # Offboarding: first what the person still asks for, then what they hold.
        offboarding.register(
            "access.requests",
            access_offboarding.cancel_pending_requests,
            preview=access_offboarding.preview_pending_requests,
            order=10,
        )
        offboarding.register(
            "access.grants",
            access_offboarding.revoke_active_grants,
            preview=access_offboarding.preview_active_grants,
            order=20,
        )
