"""The OpenAPI 3.1 description of the admin API, written by hand so that it says
exactly what the handlers in :mod:`digest.web.api` accept and answer."""

from __future__ import annotations

from typing import Any

from digest import __version__
from digest.models import DeliveryState, SubscriberStatus
from digest.web.openapi_desk import desk_paths

_STATUSES = [s.value for s in SubscriberStatus]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "422": _json(_ref("Error"), "An invalid value; `field` names it."),
}

_ID = {"name": "subscriber_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_EDITION = {"name": "edition_id", "in": "path", "required": True, "schema": {"type": "integer"}}

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
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "digest admin API",
            "version": __version__,
            "description": "Manage subscribers and follow editions. Every path but this description needs "
            "`Authorization: Bearer <token>`, the token being read from [web] admin_token_env.",
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
                    "responses": {"200": _json(_ref("SubscriberPage"), "A page of subscribers."), **_ERRORS},
                },
                "post": {
                    "summary": "Add a subscriber",
                    "description": "Pending unless `confirmed` (consent obtained elsewhere). A suppressed address "
                    "(unsubscribed, bounced, erased) is refused with 409 unless `override_suppression` is true.",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("NewSubscriber")}},
                    },
                    "responses": {
                        "201": _json(_ref("SubscriberResult"), "Added."),
                        "409": _json(_ref("Error"), "Already on the list, or suppressed."),
                        **_ERRORS,
                    },
                },
            },
            "/subscribers/{subscriber_id}": {
                "parameters": [_ID],
                "get": {
                    "summary": "One subscriber",
                    "responses": {
                        "200": _json(_ref("Subscriber"), "The subscriber."),
                        "404": _json(_ref("Error"), "No such id."),
                        **_ERRORS,
                    },
                },
                "patch": {
                    "summary": "Change preferences or status",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("SubscriberChange")}},
                    },
                    "responses": {
                        "200": _json(_ref("SubscriberResult"), "Changed."),
                        "404": _json(_ref("Error"), "No such id."),
                        "409": _json(_ref("Error"), "Not possible in the subscriber's state."),
                        **_ERRORS,
                    },
                },
                "delete": {
                    "summary": "Unsubscribe, or erase with ?forget=true",
                    "parameters": [{"name": "forget", "in": "query", "schema": {"type": "boolean"}}],
                    "responses": {
                        "200": _json(
                            {"type": "object", "properties": {"id": {"type": "integer"}, "status": {"type": "string"}}},
                            "Done.",
                        ),
                        "404": _json(_ref("Error"), "No such id."),
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
                        "200": _json(_ref("ImportReport"), "What was imported and rejected."),
                        "413": _json(_ref("Error"), "Too large."),
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
                        "200": _json(
                            {"type": "object", "properties": {"items": {"type": "array", "items": _ref("Edition")}}},
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
                        "200": _json(_ref("EditionStatus"), "Counts, and the rows that need a look."),
                        "404": _json(_ref("Error"), "No such edition."),
                        **_ERRORS,
                    },
                },
            },
            "/editions/{edition_id}/test-send": {
                "parameters": [_EDITION],
                "post": {
                    "summary": "Send a test copy to up to 10 addresses",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["to"],
                                    "properties": {
                                        "to": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "email"},
                                            "minItems": 1,
                                            "maxItems": 10,
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "edition_id": {"type": "integer"},
                                    "results": {"type": "object", "additionalProperties": {"type": "string"}},
                                },
                            },
                            '"sent" or the reason, per address.',
                        ),
                        "404": _json(_ref("Error"), "No such edition."),
                        "501": _json(_ref("Error"), "No sender in this process."),
                        **_ERRORS,
                    },
                },
            },
            **desk_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Unauthorized": _json(_ref("Error"), "No or wrong bearer token.")},
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
                        "consent": _ref("Consent"),
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
                        "subscriber": _ref("Subscriber"),
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
                        "items": {"type": "array", "items": _ref("Subscriber")},
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
                        "edition": _ref("Edition"),
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
