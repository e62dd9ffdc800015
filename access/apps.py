from functools import partial

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"

    def ready(self) -> None:
        from access import panels as access_panels
        from access import selectors
        from access.models import SCOPE_PERMISSION
        from portal import panels, permissions

        # Grant rows are the truth: the guardian rows they carry are derived, for other readers.
        for scope, perm in SCOPE_PERMISSION.items():
            permissions.register_carrier(perm, partial(selectors.assets_held, scope=scope))

        panels.register("dashboard", "access/panels/waiting.html", access_panels.waiting_panel, order=10)
        panels.register("dashboard", "access/panels/my_pending.html", access_panels.my_pending_panel, order=20)
        panels.register("dashboard", "access/panels/my_access.html", access_panels.my_access_panel, order=30)
        panels.register("asset", "access/panels/asset_access.html", access_panels.asset_access_panel, order=10)
        panels.register_nav(access_panels.grants_label, "access:grant-list", order=10)
        panels.register_nav("Requests", "access:request-list", order=20)
        panels.register_nav("Review queue", "access:review-queue", visible=access_panels.reviews_anything, order=30)
