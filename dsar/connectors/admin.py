"""The SQL connector's configuration in the admin: a source per asset, its tables inline, "Test connection".

Imported by ``dsar.admin``. The password never appears: the source names the
environment variable that holds it, and messages are scrubbed of its value.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from dsar.connectors import services
from dsar.connectors.base import ConnectorError
from dsar.connectors.models import SqlSource, SqlTable


class ColumnListField(forms.CharField):
    """Column names one per line (names may hold spaces or commas), stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 30})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class SqlTableForm(forms.ModelForm):
    columns = ColumnListField(
        required=False, help_text="Returned to the subject, one per line. Blank: every column but the file column."
    )
    null_columns = ColumnListField(required=False, help_text="For erasure by emptying: one per line.")

    class Meta:
        model = SqlTable
        fields = [
            "table",
            "identifier_column",
            "identifier_kind",
            "subject_column",
            "customer_id_column",
            "columns",
            "file_column",
            "erasure_mode",
            "null_columns",
        ]


class SqlTableInline(admin.StackedInline):
    model = SqlTable
    form = SqlTableForm
    extra = 0
    min_num = 1


@admin.register(SqlSource)
class SqlSourceAdmin(admin.ModelAdmin):
    list_display = ["asset", "url", "password_env", "statement_timeout"]
    list_select_related = ["asset"]
    search_fields = ["asset__name", "url"]
    fields = ["asset", "url", "password_env", "statement_timeout", "files_root"]
    inlines = [SqlTableInline]
    actions = ["test_connection"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the tables are saved, so the audit event holds the whole configuration.
        services.sql_source_saved(actor=request.user, source=form.instance, created=not change)

    def delete_model(self, request, obj):
        services.sql_source_deleted(actor=request.user, source=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for source in queryset:
            services.sql_source_deleted(actor=request.user, source=source)
        super().delete_queryset(request, queryset)

    @admin.action(description="Test connection (reach the database, check each table)")
    def test_connection(self, request, queryset):
        for source in queryset.select_related("asset"):
            try:
                checks = services.sql_source_test(actor=request.user, source=source)
            except ConnectorError as exc:
                self.message_user(request, f"Not reachable: {exc}", messages.ERROR)
                continue
            if not checks:
                self.message_user(request, f"{source.asset}: reachable, but no table is configured.", messages.WARNING)
            for check in checks:
                if check.ok:
                    rows = "" if check.rows is None else f"; {check.rows} rows"
                    self.message_user(request, f"{source.asset} · {check.table}: reachable; {check.message}{rows}.")
                else:
                    self.message_user(request, f"{source.asset} · {check.table}: {check.message}.", messages.ERROR)
