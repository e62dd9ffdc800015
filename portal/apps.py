from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal core"

    def ready(self) -> None:
        from portal import offboarding, panels, selectors_audit, users

        # Last, after the apps' own steps: roles go once the access they gave is gone.
        offboarding.register("portal.rights", users.take_portal_rights, preview=users.preview_portal_rights, order=90)
        panels.register_nav("Audit log", "audit-list", visible=selectors_audit.may_read, order=90)
