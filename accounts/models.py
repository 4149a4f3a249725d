"""The account API serves models owned by posthog_core; this app has none of its own."""
