"""Django admin for tenancy and identity."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from posthog_core.models import Organization, OrganizationMembership, PersonalAPIKey, Project, User


class MembershipInline(admin.TabularInline):
    model = OrganizationMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "organization", "timezone", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["api_token"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["first_name", "last_name", "distinct_id", "role_at_organization",
                                "is_email_verified", "hedgehog_config", "current_project"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(OrganizationMembership)
class OrganizationMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "level", "joined_at"]
    autocomplete_fields = ["user"]


@admin.register(PersonalAPIKey)
class PersonalAPIKeyAdmin(admin.ModelAdmin):
    # The plain key is never stored; only its hash and mask are shown.
    list_display = ["label", "user", "mask_value", "scopes", "created_at", "last_used_at"]
    readonly_fields = ["secure_value", "mask_value", "last_used_at", "last_rolled_at"]
    search_fields = ["label", "user__email"]
