from django.apps import AppConfig


class DsarConfig(AppConfig):
    verbose_name = "Data-subject requests"
    name = "dsar"

    def ready(self) -> None:
        from dsar import panels as dsar_panels
        from dsar import (
            sections,
            tasks,  # noqa: F401  (registers the Celery tasks)
        )
        from dsar.delivery import tasks as delivery_tasks  # noqa: F401
        from dsar.erasure import tasks as erasure_tasks  # noqa: F401
        from dsar.erasure.selectors import erasure_panel, erasure_section
        from dsar.package import tasks as package_tasks  # noqa: F401
        from dsar.package.selectors import package_section
        from dsar.services import offboarding as handling
        from dsar.services.common import ASSIGN, CHANGE
        from portal import offboarding, panels, permissions

        # Working a request is a change: auditors never hold it (portal.permissions.work_refusal).
        permissions.register_work(CHANGE, ASSIGN)
        # Offboarding takes the cases the person handles.
        offboarding.register("dsar.handling", handling.take_handling, preview=handling.preview_handling, order=40)

        panels.register("dashboard", "dsar/panels/near_deadline.html", dsar_panels.near_deadline_panel, order=40)
        panels.register("dashboard", "dsar/erasure/panel.html", erasure_panel, order=41)
        # Shown to everyone, as incidents is: the list is filtered, and a handler needs the link too.
        panels.register_nav("Data-subject requests", "dsar:request-list", order=60)
        # The request page's sections for the package and the erasure (dsar/sections.py).
        sections.register("dsar/package/section.html", package_section, order=10)
        sections.register("dsar/erasure/section.html", erasure_section, order=20)
