"""Django admin for site administrators (superusers): organisations, teams, people, tokens."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from organisations import audit
from organisations.models import Department, IntegrationToken, Membership, Organisation, Team, User


class AuditedAdmin(admin.ModelAdmin):
    """Changes made here land in the organisation's audit log, like those made in the app."""

    audit_kind = ""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        organisation = self.audit_organisation(obj)
        if organisation is None:
            return
        if change and not form.changed_data:
            return
        changes = {
            field: [str(form.initial.get(field, "")), str(form.cleaned_data.get(field, ""))]
            for field in form.changed_data
            if "password" not in field
        }
        action = f"{self.audit_kind}.changed" if change else f"{self.audit_kind}.added"
        audit.record(organisation, request.user, action, str(obj), changes=changes)
        if change and "role" in form.changed_data:
            audit.record(organisation, request.user, "role.changed", str(obj), changes=changes)

    def delete_model(self, request, obj):
        organisation = self.audit_organisation(obj)
        label = str(obj)
        super().delete_model(request, obj)
        if organisation is not None:
            audit.record(organisation, request.user, f"{self.audit_kind}.removed", label)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def audit_organisation(self, obj):
        return getattr(obj, "organisation", None)


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "min_group_size", "min_responses"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DepartmentInline]

    def get_readonly_fields(self, request, obj=None):
        # Moving an existing organisation to another zone restamps its rows and recomputes
        # its figures: that is done from its own settings page (ClockChange), not here.
        return ["time_zone"] if obj is not None else []


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    audit_kind = "team"

    list_display = ["name", "slug", "department", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["department", "organisation"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        """Memberships (who is in the team, who leads it) are roles too: each one recorded."""
        super().save_formset(request, form, formset, change)
        team = form.instance
        for membership in formset.new_objects:
            audit.record(team.organisation, request.user, "membership.added", str(membership))
        for membership, fields in formset.changed_objects:
            audit.record(
                team.organisation,
                request.user,
                "membership.changed",
                str(membership),
                fields=list(fields),
            )
        for membership in formset.deleted_objects:
            audit.record(team.organisation, request.user, "membership.removed", str(membership))


@admin.register(User)
class PersonAdmin(UserAdmin, AuditedAdmin):
    audit_kind = "person"

    list_display = ["username", "first_name", "last_name", "email", "organisation", "role"]
    list_filter = ["organisation", "role", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["organisation"]
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Organisation"), {"fields": ("organisation", "role", "language")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Organisation"), {"fields": ("organisation", "role")}),
    )


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(admin.ModelAdmin):
    """Tokens are issued in the app or with ``create_token``, where the key is shown once."""

    list_display = ["name", "organisation", "key_hint", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["organisation"]
    readonly_fields = [
        "organisation",
        "name",
        "key_hint",
        "created_by",
        "created_at",
        "last_used_at",
    ]
    fields = [*readonly_fields, "revoked_at"]

    def has_add_permission(self, request):
        return False
