"""Ideas in the Django admin, for support: read and correct, the history kept."""

from django.contrib import admin

from ideas.models import Idea, IdeaEvent


class IdeaEventInline(admin.TabularInline):
    model = IdeaEvent
    extra = 0
    fields = ["created_at", "actor", "from_status", "to_status", "reason", "notified_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # steps are taken on the idea's page, where the proposer is told


@admin.register(Idea)
class IdeaAdmin(admin.ModelAdmin):
    list_display = ["title", "team", "status", "proposer", "created_at"]
    list_filter = ["status", "level"]
    search_fields = ["title"]
    raw_id_fields = ["organisation", "team", "proposer", "target", "plan_item", "comments"]
    inlines = [IdeaEventInline]
