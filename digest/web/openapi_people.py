"""The OpenAPI paths of :mod:`digest.web.api_people` that the other parts do not
describe (adding a suppression, feeds, console accounts), merged into
:func:`digest.web.openapi.spec` operation by operation."""

from __future__ import annotations

from typing import Any

from digest.web.openapi_schema import UNAUTHORIZED, json_body, json_object, json_response, path_id, ref


def _error(description: str) -> dict[str, Any]:
    return json_response(ref("Error"), description)


def _ok(description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return json_response(json_object(properties), description)


_OBJECT = {"type": "object"}
_SUPPRESSED = {"suppressed": {"type": "boolean"}, "added": {"type": "boolean"}}
_ITEMS = {"items": {"type": "array", "items": _OBJECT}}
_INVALID = {"422": _error("An invalid value; `field` names it."), **UNAUTHORIZED}
_ROLE = {"type": "string", "enum": ["owner", "editor", "viewer"]}
_TEXT = {"type": "string"}
_BULK = ["unsubscribe", "forget", "add_topic", "remove_topic", "resend_confirmation"]
_EMAIL = {"name": "email", "in": "path", "required": True, "schema": {"type": "string"}}


def people_paths() -> dict[str, dict[str, Any]]:
    """The operations, keyed by path (relative to /api) then by method."""
    return {
        "/subscribers/bulk": {
            "post": {
                "summary": "Unsubscribe, forget, add or remove a topic, resend the confirmation, or export, in bulk",
                "requestBody": json_body(
                    json_object(
                        {
                            "operation": {"type": "string", "enum": [*_BULK, "export"]},
                            "ids": {"type": "array", "items": {"type": "integer"}},
                            "filter": json_object({k: _TEXT for k in ("q", "status", "language", "topic")}),
                            "topic": {"type": "string"},
                        },
                        required=["operation"],
                        additionalProperties=False,
                    )
                ),
                "responses": {
                    "200": _ok(
                        "What was done (the selection as CSV for export)",
                        {k: {"type": "integer"} for k in ("selected", "changed", "unchanged", "confirmations_queued")},
                    ),
                    **_INVALID,
                },
            }
        },
        "/suppressions": {
            "post": {
                "summary": "Suppress an address by hand (reason: manual)",
                "requestBody": json_body(
                    json_object(
                        {"email": {"type": "string"}, "detail": {"type": "string"}},
                        required=["email"],
                        additionalProperties=False,
                    )
                ),
                "responses": {
                    "201": _ok("Added.", {"suppressed": {"type": "boolean"}, "added": {"type": "boolean"}}),
                    "200": _ok(
                        "Already suppressed.", {"suppressed": {"type": "boolean"}, "added": {"type": "boolean"}}
                    ),
                    **_INVALID,
                },
            }
        },
        "/feeds": {
            "get": {
                "summary": "Every registered feed and its last poll",
                "responses": {"200": _ok("The feeds.", _ITEMS), **UNAUTHORIZED},
            },
            "post": {
                "summary": "Register a feed (again: update its category and language)",
                "requestBody": json_body(
                    json_object(
                        {"url": {"type": "string"}, "category": {"type": "string"}, "language": {"type": "string"}},
                        required=["url"],
                        additionalProperties=False,
                    )
                ),
                "responses": {
                    "201": _ok("Registered.", {"feed": _OBJECT, "created": {"type": "boolean"}}),
                    "200": _ok("Options updated.", {"feed": _OBJECT, "created": {"type": "boolean"}}),
                    **_INVALID,
                },
            },
            "delete": {
                "summary": "Stop polling a feed (its articles stay)",
                "parameters": [{"name": "url", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": _ok("Removed.", {"removed": {"type": "string"}}),
                    "404": _error("No feed with this URL."),
                    **_INVALID,
                },
            },
        },
        "/feeds/poll": {
            "post": {
                "summary": "Poll every feed now",
                "responses": {
                    "200": _ok(
                        "Each feed's poll and the totals.",
                        {
                            "feeds": {"type": "array", "items": _OBJECT},
                            "failed": {"type": "integer"},
                            "summary": {"type": "string"},
                        },
                    ),
                    **UNAUTHORIZED,
                },
            }
        },
        "/admins": {
            "get": {
                "summary": "The console accounts",
                "responses": {"200": _ok("The accounts.", _ITEMS), **UNAUTHORIZED},
            },
            "post": {
                "summary": "Create a console account",
                "requestBody": json_body(
                    json_object(
                        {"email": {"type": "string"}, "role": _ROLE, "password": {"type": "string", "minLength": 12}},
                        required=["email", "role", "password"],
                        additionalProperties=False,
                    )
                ),
                "responses": {"201": _ok("Created.", {"admin": _OBJECT}), **_INVALID},
            },
        },
        "/admins/{email}": {
            "parameters": [_EMAIL],
            "patch": {
                "summary": "Change an account's role and/or password",
                "requestBody": json_body(
                    json_object(
                        {"role": _ROLE, "password": {"type": "string", "minLength": 12}}, additionalProperties=False
                    )
                ),
                "responses": {
                    "200": _ok("Changed.", {"admin": _OBJECT}),
                    "404": _error("No such account."),
                    **_INVALID,
                },
            },
            "delete": {
                "summary": "Delete an account (refused for the last owner)",
                "responses": {
                    "200": _ok("Deleted.", {"removed": {"type": "string"}}),
                    "404": _error("No such account."),
                    **_INVALID,
                },
            },
        },
        "/keys": {
            "get": {
                "summary": "The API keys the caller may see (every key for an owner) and the shared token's role",
                "responses": {
                    "200": _ok("The keys.", {**_ITEMS, "shared_token": _OBJECT}),
                    **UNAUTHORIZED,
                },
            },
            "post": {
                "summary": "Make an API key (its secret is in this answer only)",
                "requestBody": json_body(
                    json_object(
                        {"name": {"type": "string"}, "role": _ROLE, "admin": {"type": "string"}},
                        required=["name", "role"],
                        additionalProperties=False,
                    )
                ),
                "responses": {
                    "201": _ok("Made.", {"key": _OBJECT, "secret": {"type": "string"}}),
                    "403": _error("A key for another admin, made by a non-owner."),
                    **_INVALID,
                },
            },
        },
        "/keys/{key_id}": {
            "parameters": [path_id("key_id")],
            "delete": {
                "summary": "Revoke an API key",
                "responses": {
                    "200": _ok("Revoked.", {"revoked": _OBJECT}),
                    "404": _error("No such key (or not the caller's)."),
                    **_INVALID,
                },
            },
        },
    }
