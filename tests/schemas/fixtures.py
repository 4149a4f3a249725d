"""Pure generator inputs shared by the generator and compile tests (reference §9 fixture plus
the naming and allowed-values cases)."""

from schemas.generators import EventSpec, PropertySpec

REFERENCE_EVENTS = [
    EventSpec("$pageview"),
    EventSpec(
        "downloaded_file",
        (PropertySpec("file-name", "String", True), PropertySpec("class", "String", False), PropertySpec("123x", "Numeric", False)),
    ),
    EventSpec("optional_event", (PropertySpec("optional_only", "String", False),)),
    EventSpec(
        "purchase",
        (
            PropertySpec("plan", "String", True, allowed_values=("free", "pro")),
            PropertySpec("seats", "Numeric", False, allowed_values=(1, 5, 10)),
            PropertySpec("paid_at", "DateTime", False),
            PropertySpec("items", "Array", False),
            PropertySpec("meta", "Object", False),
            PropertySpec("gift", "Boolean", False),
        ),
    ),
    EventSpec("test_event", (PropertySpec("required_field", "Numeric", True), PropertySpec("optional_field", "String", False))),
    EventSpec("untyped_event"),
    EventSpec("user-signed_up", (PropertySpec("file_ext", "String", False), PropertySpec("file_size", "Numeric", True))),
    EventSpec("user_signed_up", (PropertySpec("distinct_id", "String", True), PropertySpec("c", "String", False))),
    EventSpec('we"ird\\name 😀'),
]
