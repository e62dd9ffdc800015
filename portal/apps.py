from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal core"

    def ready(self) -> None:
        from portal import panels
        from portal.views import usable_assets_panel

        panels.register("dashboard", "portal/panels/usable_assets.html", usable_assets_panel, order=90)
