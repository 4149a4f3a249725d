"""Create a personal API key for an existing user and print it once."""

import json

from django.core.management.base import BaseCommand, CommandError

from accounts.services import personal_api_key_create
from posthog_core.models import Project, User
from posthog_core.scopes import invalid_scopes


class Command(BaseCommand):
    help = "Create a personal API key with the given scopes (and optionally limited to projects)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--label", default="cli")
        parser.add_argument("--scopes", default="*", help='Comma-separated, e.g. "event_definition:read,export:write".')
        parser.add_argument("--projects", default="", help="Comma-separated project ids the key is limited to.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None:
            raise CommandError(f"No user with email {options['email']}.")
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        unknown = invalid_scopes(scopes)
        if unknown:
            raise CommandError(f"Invalid scope: {unknown[0]}")
        try:
            teams = [int(value) for value in options["projects"].split(",") if value.strip()]
        except ValueError as error:
            raise CommandError("--projects takes comma-separated integer ids.") from error
        reachable = set(Project.objects.filter(organization__memberships__user=user).values_list("id", flat=True))
        if set(teams) - reachable:
            raise CommandError(f"{user.email} is not a member of project(s) {sorted(set(teams) - reachable)}.")
        key = personal_api_key_create(user=user, label=options["label"][:40], scopes=scopes, scoped_teams=teams or None)
        result = {"personal_api_key": key._plain_value, "scopes": key.scopes, "scoped_teams": key.scoped_teams}
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for name, value in result.items():
                self.stdout.write(f"{name}: {value}")
