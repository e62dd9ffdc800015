from django.apps import AppConfig


class DsarConfig(AppConfig):
    verbose_name = "Data-subject requests"
    name = "dsar"
