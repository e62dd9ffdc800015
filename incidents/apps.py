from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from incidents import panels as incident_panels
        from incidents.services import offboarding as handling
        from incidents.services.common import ASSIGN, CHANGE
        from incidents.subjects import admin as subjects_admin  # noqa: F401  (registers the admin)
        from portal import offboarding, panels, permissions

        # Working an incident is a change: auditors never hold it (portal.permissions.work_refusal).
        permissions.register_work(CHANGE, ASSIGN)
        # Offboarding takes the cases the person handles.
        offboarding.register("incidents.handling", handling.take_handling, preview=handling.preview_handling, order=30)

        # Every employee may report an incident, so everyone gets the link.
        panels.register_nav("Incidents", "incidents:incident-list", order=60)
        panels.register("dashboard", "incidents/panels/clocks.html", incident_panels.clocks_panel, order=35)
