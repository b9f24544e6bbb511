"""Django admin for site administrators (superusers): organisations, teams, people, tokens."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from organisations.models import Department, IntegrationToken, Membership, Organisation, Team, User


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
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "department", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["department", "organisation"]
    inlines = [MembershipInline]


@admin.register(User)
class PersonAdmin(UserAdmin):
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
