"""Property definitions live beside event definitions (`event_definitions.models`): they share tags
and capture writes both in one transaction. This app is their API."""

from event_definitions.models import EventProperty, PropertyDefinition

__all__ = ["EventProperty", "PropertyDefinition"]
