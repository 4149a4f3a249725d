"""The router every app uses: PostHog's URLs take an optional trailing slash (§1.1)."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """SimpleRouter with `/?` as the trailing slash.

    NOTE: DRF ≥ 3.15 reads `trailing_slash` as a boolean (`"/?"` becomes `/`), so the regex is set
    after construction; routes are compiled from it in get_urls().
    """

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
