"""The OpenAPI 3.1 description of the admin API, written by hand so that it says
exactly what the handlers in :mod:`digest.web.api` accept and answer."""

from __future__ import annotations

from typing import Any

from digest import __version__
from digest.models import DeliveryState, SubscriberStatus
from digest.web.openapi_desk import desk_paths
from digest.web.openapi_people import people_paths
from digest.web.openapi_schema import UNAUTHORIZED, json_body, json_object, json_response, path_id, ref

_STATUSES = [s.value for s in SubscriberStatus]


_ERRORS = {
    **UNAUTHORIZED,
    "422": json_response(ref("Error"), "An invalid value; `field` names it."),
}

_ID = path_id("subscriber_id")
_EDITION = path_id("edition_id")

_PROFILE_PROPERTIES: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 200},
    "language": {"type": "string", "enum": ["fr", "en"]},
    "topics": {
        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string", "description": '"A;B"'}],
        "description": "Categories to receive; empty means all.",
    },
    "timezone": {"type": "string", "description": "IANA name, e.g. Europe/Paris; empty: the newsletter's."},
    "send_at": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "HH:MM or empty."},
}


def spec() -> dict[str, Any]:
    """The OpenAPI document."""
    document = _document()
    paths: dict[str, dict[str, Any]] = document["paths"]
    for path, operations in people_paths().items():
        paths.setdefault(path, {}).update(operations)
    return document


def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "digest admin API",
            "version": __version__,
            "description": "Manage subscribers and follow editions. Every path but this description needs "
            "`Authorization: Bearer <token>`: the shared token read from [web] admin_token_env (an owner), or "
            "an admin's API key (made at /admin/keys), which acts as that admin with the key's role.",
        },
        "servers": [{"url": "/api"}],
        "security": [{"bearer": []}],
        "paths": {
            "/subscribers": {
                "get": {
                    "summary": "List or search subscribers",
                    "parameters": [
                        {"name": "status", "in": "query", "schema": {"type": "string", "enum": _STATUSES}},
                        {
                            "name": "q",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "In address or name.",
                        },
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    ],
                    "responses": {"200": json_response(ref("SubscriberPage"), "A page of subscribers."), **_ERRORS},
                },
                "post": {
                    "summary": "Add a subscriber",
                    "description": "Pending unless `confirmed` (consent obtained elsewhere). A suppressed address "
                    "(unsubscribed, bounced, erased) is refused with 409 unless `override_suppression` is true.",
                    "requestBody": json_body(ref("NewSubscriber")),
                    "responses": {
                        "201": json_response(ref("SubscriberResult"), "Added."),
                        "409": json_response(ref("Error"), "Already on the list, or suppressed."),
                        **_ERRORS,
                    },
                },
            },
            "/subscribers/{subscriber_id}": {
                "parameters": [_ID],
                "get": {
                    "summary": "One subscriber",
                    "responses": {
                        "200": json_response(ref("Subscriber"), "The subscriber."),
                        "404": json_response(ref("Error"), "No such id."),
                        **_ERRORS,
                    },
                },
                "patch": {
                    "summary": "Change preferences or status",
                    "requestBody": json_body(ref("SubscriberChange")),
                    "responses": {
                        "200": json_response(ref("SubscriberResult"), "Changed."),
                        "404": json_response(ref("Error"), "No such id."),
                        "409": json_response(ref("Error"), "Not possible in the subscriber's state."),
                        **_ERRORS,
                    },
                },
                "delete": {
                    "summary": "Unsubscribe, or erase with ?forget=true",
                    "parameters": [{"name": "forget", "in": "query", "schema": {"type": "boolean"}}],
                    "responses": {
                        "200": json_response(
                            {"type": "object", "properties": {"id": {"type": "integer"}, "status": {"type": "string"}}},
                            "Done.",
                        ),
                        "404": json_response(ref("Error"), "No such id."),
                        **_ERRORS,
                    },
                },
            },
            "/subscribers/import": {
                "post": {
                    "summary": "Import a CSV list",
                    "description": "Header email,name,language,topics,timezone[,send_at] (the export's columns are "
                    "accepted too). Valid rows are imported in one transaction; rows already on the list are left "
                    "unchanged; each rejected row is reported with its line.",
                    "parameters": [{"name": "confirmed", "in": "query", "schema": {"type": "boolean"}}],
                    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
                    "responses": {
                        "200": json_response(ref("ImportReport"), "What was imported and rejected."),
                        "413": json_response(ref("Error"), "Too large."),
                        **_ERRORS,
                    },
                },
            },
            "/subscribers/export": {
                "get": {
                    "summary": "Export every subscriber as CSV",
                    "responses": {
                        "200": {
                            "description": "CSV, re-importable.",
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        **_ERRORS,
                    },
                },
            },
            "/editions": {
                "get": {
                    "summary": "Latest editions",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 365}}
                    ],
                    "responses": {
                        "200": json_response(
                            {"type": "object", "properties": {"items": {"type": "array", "items": ref("Edition")}}},
                            "Newest first.",
                        ),
                        **_ERRORS,
                    },
                },
            },
            "/editions/{edition_id}": {
                "parameters": [_EDITION],
                "get": {
                    "summary": "Edition status: deliveries by state",
                    "responses": {
                        "200": json_response(ref("EditionStatus"), "Counts, and the rows that need a look."),
                        "404": json_response(ref("Error"), "No such edition."),
                        **_ERRORS,
                    },
                },
            },
            "/editions/{edition_id}/report": {
                "parameters": [_EDITION],
                "get": {
                    "summary": "Edition report: delivery, bounces, unsubscribes, clicks per story and topic",
                    "responses": {
                        "200": json_response(
                            {"type": "object", "additionalProperties": True},
                            "The figures of digest report --json (one edition); machine events apart.",
                        ),
                        "404": json_response(ref("Error"), "No such edition."),
                        **_ERRORS,
                    },
                },
            },
            "/editions/{edition_id}/test-send": {
                "parameters": [_EDITION],
                "post": {
                    "summary": "Send a test copy to up to 10 addresses",
                    "requestBody": json_body(
                        json_object(
                            {
                                "to": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "email"},
                                    "minItems": 1,
                                    "maxItems": 10,
                                }
                            },
                            required=["to"],
                        )
                    ),
                    "responses": {
                        "200": json_response(
                            {
                                "type": "object",
                                "properties": {
                                    "edition_id": {"type": "integer"},
                                    "results": {"type": "object", "additionalProperties": {"type": "string"}},
                                },
                            },
                            '"sent" or the reason, per address.',
                        ),
                        "404": json_response(ref("Error"), "No such edition."),
                        "501": json_response(ref("Error"), "No sender in this process."),
                        **_ERRORS,
                    },
                },
            },
            **desk_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Unauthorized": json_response(ref("Error"), "No or wrong bearer token.")},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
                },
                "Consent": {
                    "type": ["object", "null"],
                    "properties": {
                        "at": {"type": "string", "format": "date-time"},
                        "source": {"type": "string", "enum": ["web", "import", "cli", "api"]},
                        "ip": {"type": "string"},
                        "user_agent": {"type": "string"},
                        "text_version": {"type": "string"},
                    },
                },
                "Subscriber": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "email": {"type": "string", "format": "email"},
                        **_PROFILE_PROPERTIES,
                        "topics": {"type": "array", "items": {"type": "string"}},
                        "status": {"type": "string", "enum": _STATUSES},
                        "created_at": {"type": ["string", "null"], "format": "date-time"},
                        "confirmed_at": {"type": ["string", "null"], "format": "date-time"},
                        "unsubscribed_at": {"type": ["string", "null"], "format": "date-time"},
                        "consent": ref("Consent"),
                    },
                },
                "NewSubscriber": {
                    "type": "object",
                    "required": ["email"],
                    "additionalProperties": False,
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        **_PROFILE_PROPERTIES,
                        "confirmed": {"type": "boolean", "default": False},
                        "override_suppression": {"type": "boolean", "default": False},
                        "send_confirmation": {"type": "boolean", "default": True},
                    },
                },
                "SubscriberChange": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        **_PROFILE_PROPERTIES,
                        "status": {"type": "string", "enum": ["confirmed", "unsubscribed"]},
                        # confirming a suppressed address (or one that left) needs it; recorded
                        "override_suppression": {"type": "boolean", "default": False},
                    },
                },
                "SubscriberResult": {
                    "type": "object",
                    "properties": {
                        "subscriber": ref("Subscriber"),
                        "warnings": {"type": "array", "items": {"type": "string"}},
                        "confirmation": {"type": "string", "enum": ["queued", "not sent", "not needed"]},
                    },
                },
                "SubscriberPage": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                        "items": {"type": "array", "items": ref("Subscriber")},
                    },
                },
                "ImportReport": {
                    "type": "object",
                    "properties": {
                        "ok": {"type": "boolean"},
                        "added": {"type": "integer"},
                        "unchanged": {"type": "integer"},
                        "rejected": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"line": {"type": "integer"}, "reason": {"type": "string"}},
                            },
                        },
                        "warnings": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"line": {"type": "integer"}, "warning": {"type": "string"}},
                            },
                        },
                        "confirmations_queued": {"type": "integer"},
                        "confirmations_failed": {"type": "integer"},
                    },
                },
                "Edition": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "newsletter": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "language": {"type": "string"},
                        "status": {"type": "string"},
                        "reading_minutes": {"type": "integer"},
                        "word_count": {"type": "integer"},
                        "built_at": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
                "EditionStatus": {
                    "type": "object",
                    "properties": {
                        "edition": ref("Edition"),
                        "deliveries": {
                            "type": "object",
                            "properties": {s.value: {"type": "integer"} for s in DeliveryState},
                        },
                        "total": {"type": "integer"},
                        "next_retry": {"type": ["string", "null"], "format": "date-time"},
                        "resent_after_crash": {"type": "integer"},
                        **{
                            rows: {"type": "array", "items": {"type": "object"}}
                            for rows in ("in_flight", "held", "failed", "retrying")
                        },
                    },
                },
            },
        },
    }
