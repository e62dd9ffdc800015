from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from portal import services
from portal.models import AuditEvent, DataAsset, SentNotification, User
from portal.web import admin_errors


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody may add, change or delete from the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataAsset)
class DataAssetAdmin(admin.ModelAdmin):
    """Assets. No page writes permission rows directly: rights change through the services (STYLE.md §12)."""

    list_display = ["name", "sensitivity", "holds_personal_data", "max_grant_days"]
    list_filter = ["sensitivity", "holds_personal_data"]
    search_fields = ["name", "description"]

    def save_model(self, request, obj, form, change):
        # Through the services, so the same checks and audit events apply as in the API.
        fields = {f: form.cleaned_data[f] for f in services.ASSET_FIELDS if f in form.cleaned_data}
        with admin_errors():
            if change:
                saved = services.asset_update(actor=request.user, asset=obj, **fields)
            else:
                saved = services.asset_create(actor=request.user, **fields)
        obj.pk = saved.pk


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "created_at", "actor_repr", "action", "target_repr"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "actor_repr", "target_repr", "target_id"]
    date_hierarchy = "created_at"


@admin.register(SentNotification)
class SentNotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "subject", "sent_at"]
    search_fields = ["recipient", "subject", "key"]
