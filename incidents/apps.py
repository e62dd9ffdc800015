from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from incidents import panels as incident_panels
        from incidents.subjects import admin as subjects_admin  # noqa: F401  (registers the admin)
        from portal import panels

        # Every employee may report an incident, so everyone gets the link.
        panels.register_nav("Incidents", "incidents:incident-list", order=60)
        panels.register("dashboard", "incidents/panels/clocks.html", incident_panels.clocks_panel, order=35)
