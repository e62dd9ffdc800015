from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"

    def ready(self) -> None:
        from access import panels as access_panels
        from access.campaigns import admin as campaigns_admin  # noqa: F401  (registers the admin)
        from access.campaigns import tasks as campaigns_tasks  # noqa: F401  (registers the Celery tasks)
        from access.campaigns.panels import register as register_campaign_panels
        from portal import panels

        panels.register("dashboard", "access/panels/waiting.html", access_panels.waiting_panel, order=10)
        panels.register("dashboard", "access/panels/my_pending.html", access_panels.my_pending_panel, order=20)
        panels.register("dashboard", "access/panels/my_access.html", access_panels.my_access_panel, order=30)
        panels.register("asset", "access/panels/asset_access.html", access_panels.asset_access_panel, order=10)
        panels.register_nav("My access", "access:grant-list", order=10)
        panels.register_nav("Requests", "access:request-list", order=20)
        panels.register_nav("Review queue", "access:review-queue", visible=access_panels.reviews_anything, order=30)
        register_campaign_panels()
