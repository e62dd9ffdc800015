from django.apps import AppConfig


class DsarConfig(AppConfig):
    verbose_name = "Data-subject requests"
    name = "dsar"

    def ready(self) -> None:
        from dsar import sections
        from dsar.delivery import tasks as delivery_tasks  # noqa: F401  (registers the Celery tasks)
        from dsar.erasure import tasks as erasure_tasks  # noqa: F401
        from dsar.erasure.selectors import erasure_panel, erasure_section
        from dsar.package.selectors import package_section
        from portal import panels

        sections.register("dsar/package/section.html", package_section, order=10)
        sections.register("dsar/erasure/section.html", erasure_section, order=20)
        panels.register("dashboard", "dsar/erasure/panel.html", erasure_panel, order=40)
