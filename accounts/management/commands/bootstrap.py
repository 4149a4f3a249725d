"""Create (idempotently) a user, organization and project, and a new `*` personal API key."""

import json

from django.core.management.base import BaseCommand

from accounts.services import account_bootstrap, personal_api_key_create


class Command(BaseCommand):
    help = "Ensure a user, organization and project exist; print a new personal API key with scopes *."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--organization", default="Default organization")
        parser.add_argument("--project", default="Default project")
        parser.add_argument("--label", default="bootstrap")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        user, project = account_bootstrap(
            email=options["email"],
            password=options["password"],
            organization=options["organization"],
            project=options["project"],
        )
        key = personal_api_key_create(user=user, label=options["label"][:40], scopes=["*"])
        result = {
            "user_email": user.email,
            "organization_id": str(project.organization_id),
            "project_id": project.id,
            "project_api_token": project.api_token,
            "personal_api_key": key._plain_value,
        }
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            for name, value in result.items():
                self.stdout.write(f"{name}: {value}")
