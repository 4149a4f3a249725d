"""Code generators for typed capture calls (PostHog §6). Pure: they take EventSpec tuples and
return source text, touching no ORM, request or clock, so the same schema gives the same bytes."""

from schemas.generators import base, golang, python, typescript
from schemas.generators.base import EventSpec, GeneratedCode, PropertySpec, schema_hash
from schemas.generators.golang import GO_GENERATOR_VERSION, generate_golang
from schemas.generators.python import PYTHON_GENERATOR_VERSION, generate_python
from schemas.generators.typescript import TYPESCRIPT_GENERATOR_VERSION, generate_typescript

GENERATORS = {
    "typescript": (generate_typescript, TYPESCRIPT_GENERATOR_VERSION),
    "python": (generate_python, PYTHON_GENERATOR_VERSION),
    "golang": (generate_golang, GO_GENERATOR_VERSION),
}


def clear_caches() -> None:
    """Forget the per-property-set renderings (their inputs are immutable; tests that patch the
    type maps need this)."""
    for cached in (base.merge_property_specs, base.sorted_hash_items, typescript.member_type,
                   python.typed_dict_body, golang.property_plan, golang.typed_template):
        cached.cache_clear()


__all__ = [
    "clear_caches",
    "GENERATORS",
    "EventSpec",
    "GeneratedCode",
    "PropertySpec",
    "schema_hash",
    "generate_golang",
    "generate_python",
    "generate_typescript",
]
