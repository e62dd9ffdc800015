from django.apps import AppConfig


class DsarConfig(AppConfig):
    verbose_name = "Data-subject requests"
    name = "dsar"

    def ready(self) -> None:
        from dsar import panels as dsar_panels
        from dsar import tasks  # noqa: F401  (registers the Celery tasks)
        from portal import panels

        panels.register("dashboard", "dsar/panels/near_deadline.html", dsar_panels.near_deadline_panel, order=40)
        # Shown to everyone, as incidents is: the list is filtered, and a handler needs the link too.
        panels.register_nav("Data-subject requests", "dsar:request-list", order=60)
