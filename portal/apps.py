from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal core"

    def ready(self):
        from portal import panels, selectors_audit

        panels.register_nav("Audit log", "audit-list", visible=selectors_audit.may_read, order=90)
