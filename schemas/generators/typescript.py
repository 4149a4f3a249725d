"""TypeScript: an `EventSchemas` interface and a typed wrapper around posthog-js (PostHog §6)."""

from __future__ import annotations

from functools import lru_cache

from schemas.generators.base import (
    EventSpec,
    GeneratedCode,
    IdentityMemo,
    MergedProperty,
    TypeVariant,
    literal_text,
    merge_property_specs,
    quoted,
    schema_hash,
)

TYPESCRIPT_GENERATOR_VERSION = "1.1.0"

TS_TYPES = {
    "String": "string",
    "Numeric": "number",
    "Boolean": "boolean",
    "DateTime": "string | Date",
    "Array": "any[]",
    "Object": "Record<string, any>",
}

HEADER = """/**
 * GENERATED FILE - DO NOT EDIT
 *
 * Typed capture calls for this project's event schemas.
 * Generator: posthog-core TypeScript generator VERSION
 * Regenerate with GET /api/projects/{project_id}/event_definitions/typescript/
 */
import originalPostHog from 'posthog-js'
import type { CaptureOptions, CaptureResult, PostHog as OriginalPostHog, Properties } from 'posthog-js'
"""

FOOTER = """
export type EventName = keyof EventSchemas

// Extra properties are always allowed on top of the schema.
export type EventProperties<K extends EventName> = EventSchemas[K] & Record<string, any>

// `string` itself is not a literal: a plain string variable must go through captureRaw.
type IsLiteralString<T extends string> = string extends T ? false : true

type RequiredKeys<T> = { [P in keyof T]-?: {} extends Pick<T, P> ? never : P }[keyof T]

type HasRequiredProperties<K extends EventName> = [RequiredKeys<EventSchemas[K]>] extends [never] ? false : true

export interface TypedPostHog extends Omit<OriginalPostHog, 'capture'> {
    /** A known event: its schema's properties are checked; required ones must be given. */
    capture<K extends EventName>(
        event_name: K,
        ...args: HasRequiredProperties<K> extends true
            ? [properties: EventProperties<K>, options?: CaptureOptions]
            : [properties?: EventProperties<K> | null, options?: CaptureOptions]
    ): CaptureResult | undefined

    /** An event without a definition here: any properties, but only as a literal name. */
    capture<K extends string>(
        event_name: IsLiteralString<K> extends true ? (K extends EventName ? never : K) : never,
        properties?: Properties | null,
        options?: CaptureOptions
    ): CaptureResult | undefined

    /** Escape hatch: no checks at all. */
    captureRaw(event_name: string, properties?: Properties | null, options?: CaptureOptions): CaptureResult | undefined
}

function captureRaw(event_name: string, properties?: Properties | null, options?: CaptureOptions): CaptureResult | undefined {
    return originalPostHog.capture(event_name, properties, options)
}

const posthog = new Proxy(originalPostHog, {
    get(target, property, receiver) {
        if (property === 'captureRaw') {
            return captureRaw
        }
        return Reflect.get(target, property, receiver)
    },
}) as unknown as TypedPostHog

export default posthog
export { posthog }
export * from 'posthog-js'
"""


def variant_type(variant: TypeVariant) -> list[str]:
    if variant.literals is not None and variant.property_type in ("String", "Numeric"):
        return [literal_text(value) for value in variant.literals]
    return [part.strip() for part in TS_TYPES.get(variant.property_type, "any").split("|")]


def property_type(prop: MergedProperty) -> str:
    parts: list[str] = []
    for variant in prop.variants:
        parts += [part for part in variant_type(variant) if part not in parts]
    return " | ".join(parts) or "any"


@lru_cache(maxsize=4096)
def member_type(properties: tuple) -> str:
    """The object type of a property set (shared by every event with the same groups)."""
    merged = merge_property_specs(properties)
    if not merged:
        return "Record<string, any>"
    lines = ["{"]
    for prop in merged:
        optional = "" if prop.required else "?"
        lines.append(f"        {quoted(prop.name)}{optional}: {property_type(prop)}")
    lines.append("    }")
    return "\n".join(lines)


def generate_typescript(events: list[EventSpec]) -> GeneratedCode:
    lines = [HEADER.replace("VERSION", TYPESCRIPT_GENERATOR_VERSION), "export interface EventSchemas {"]
    members = IdentityMemo(member_type)
    for event in events:
        lines.append(f"    {quoted(event.name)}: {members(event.properties)}")
    lines.append("}")
    content = "\n".join(lines) + "\n" + FOOTER
    return GeneratedCode(
        content=content,
        event_count=len(events),
        schema_hash=schema_hash(events, TYPESCRIPT_GENERATOR_VERSION),
        generator_version=TYPESCRIPT_GENERATOR_VERSION,
    )
