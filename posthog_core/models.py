"""Tenancy and identity: organizations, projects (one team each), users and personal API keys."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from posthog_core.utils import random_base62, uuid7


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


def _distinct_id() -> str:
    return random_base62(43)


class User(AbstractBaseUser, PermissionsMixin):
    class RoleAtOrganization(models.TextChoices):
        ENGINEERING = "engineering"
        DATA = "data"
        PRODUCT = "product"
        FOUNDER = "founder"
        LEADERSHIP = "leadership"
        MARKETING = "marketing"
        SALES = "sales"
        OTHER = "other"

    uuid = models.UUIDField(unique=True, default=uuid7, editable=False)
    email = models.EmailField(unique=True, max_length=254)
    distinct_id = models.CharField(max_length=200, unique=True, default=_distinct_id)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_email_verified = models.BooleanField(null=True, blank=True)
    role_at_organization = models.CharField(
        max_length=64, choices=RoleAtOrganization.choices, null=True, blank=True
    )
    hedgehog_config = models.JSONField(null=True, blank=True)
    current_project = models.ForeignKey(
        "posthog_core.Project", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email


class OrganizationMembership(models.Model):
    class Level(models.IntegerChoices):
        MEMBER = 1, "member"
        ADMIN = 8, "administrator"
        OWNER = 15, "owner"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organization_memberships")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="unique_organization_membership"),
        ]


def _project_api_token() -> str:
    return "phc_" + random_base62(43)


class Project(models.Model):
    """A PostHog project with its single team: `project_id == team_id` everywhere."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    api_token = models.CharField(max_length=200, unique=True, default=_project_api_token)
    timezone = models.CharField(max_length=240, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


# PostHog calls the tenant a team; with one team per project the two are the same row.
Team = Project


def hash_key_value(value: str) -> str:
    """PostHog's current storage format for personal API keys: unsalted SHA-256 (the key is random)."""
    return "sha256$" + hashlib.sha256(value.encode()).hexdigest()


def mask_key_value(value: str) -> str:
    return f"{value[:4]}...{value[-4:]}"


def _key_id() -> str:
    return random_base62(32)


class PersonalAPIKey(models.Model):
    id = models.CharField(primary_key=True, max_length=50, default=_key_id, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personal_api_keys")
    label = models.CharField(max_length=40)
    secure_value = models.CharField(max_length=300, unique=True, editable=False)
    mask_value = models.CharField(max_length=11, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_rolled_at = models.DateTimeField(null=True, blank=True)
    scopes = ArrayField(models.CharField(max_length=100), null=True, blank=True)
    scoped_teams = ArrayField(models.IntegerField(), null=True, blank=True)
    scoped_organizations = ArrayField(models.CharField(max_length=100), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.label} ({self.mask_value})"

    @staticmethod
    def generate_value() -> str:
        return "phx_" + random_base62(47)


class RateLimitCounter(models.Model):
    """One fixed-window counter of the rate limits and the login lockout (posthog_core/ratelimit.py).

    Rows are disposable: the table is UNLOGGED (migration 0003), so an upsert writes no WAL and its
    commit waits for no fsync; a crash empties it, which only resets the current windows.
    """

    pk = models.CompositePrimaryKey("bucket", "window_end")
    bucket = models.CharField(max_length=200)
    window_end = models.BigIntegerField(help_text="Unix time (s) at which this window closes.")
    hits = models.IntegerField(default=0)
