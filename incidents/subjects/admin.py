"""Admin of subject notification: everything read-only (imports and sending go through the services)."""

from django.contrib import admin

from incidents.subjects.models import AffectedSubject, SubjectImport, SubjectNotification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AffectedSubject)
class AffectedSubjectAdmin(ReadOnlyAdmin):
    list_display = ["email", "name", "language", "incident", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["email", "name", "incident__reference"]
    list_select_related = ["incident"]
    raw_id_fields = ["incident", "source", "notification"]
    show_full_result_count = False  # a million rows: no COUNT(*) per page


@admin.register(SubjectImport)
class SubjectImportAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "incident", "count", "imported_by", "imported_at", "sha256"]
    search_fields = ["file_name", "sha256", "incident__reference"]
    list_select_related = ["incident", "imported_by"]
    raw_id_fields = ["incident", "imported_by"]


@admin.register(SubjectNotification)
class SubjectNotificationAdmin(ReadOnlyAdmin):
    list_display = ["subject", "incident", "queued", "created_by", "created_at", "finished_at"]
    search_fields = ["subject", "incident__reference"]
    list_select_related = ["incident", "created_by"]
    raw_id_fields = ["incident", "created_by"]
