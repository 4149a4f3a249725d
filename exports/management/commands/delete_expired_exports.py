"""`python manage.py delete_expired_exports`: remove expired exports and their stored files."""

from django.core.management.base import BaseCommand

from exports.services import exported_assets_delete_expired


class Command(BaseCommand):
    help = "Delete exported assets whose expires_after has passed, with their files."

    def handle(self, *args, **options):
        deleted = exported_assets_delete_expired()
        self.stdout.write(f"Deleted {deleted} expired export(s).")
