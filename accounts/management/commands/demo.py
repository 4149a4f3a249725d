"""First-run demo account for `make run`: created once, its login and a key printed."""

import os

from django.core.management.base import BaseCommand

from accounts.services import account_bootstrap, personal_api_key_create
from posthog_core.models import User

DEMO_EMAIL = "demo@posthog-core.local"
DEMO_PASSWORD = "demo-password"


class Command(BaseCommand):
    help = "Create the demo user and project on the first run and print how to log in."

    def handle(self, *args, **options):
        if User.objects.exists():
            self.stdout.write("Users exist already; create a key with `manage.py create_personal_api_key`.")
            return
        user, project = account_bootstrap(
            email=DEMO_EMAIL, password=DEMO_PASSWORD, organization="Demo organization", project="Demo project"
        )
        key = personal_api_key_create(user=user, label="demo", scopes=["*"])
        self.stdout.write(
            "\n".join(
                [
                    "Demo account created.",
                    f"  Log in at /api-auth/login/ with {DEMO_EMAIL} / {DEMO_PASSWORD}",
                    f"  Project id: {project.id}   project token (capture): {project.api_token}",
                    f"  Personal API key (shown once): {key._plain_value}",
                    f"  Try: curl -H 'Authorization: Bearer {key._plain_value}' http://127.0.0.1:{os.environ.get('PORT', '8000')}/api/users/@me/",
                ]
            )
        )
