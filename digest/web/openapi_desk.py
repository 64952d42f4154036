"""The OpenAPI paths of :mod:`digest.web.api_desk` (story edits, approval, failures,
suppressions, resending a confirmation), merged into :func:`digest.web.openapi.spec`."""

from __future__ import annotations

from typing import Any

from digest.web.openapi_schema import UNAUTHORIZED, json_body, json_object, json_response, path_id, ref


def _error(description: str) -> dict[str, Any]:
    return json_response(ref("Error"), description)


def _ok(description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return json_response(json_object(properties), description)


_EDITION = path_id("edition_id")
_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
_NULLABLE_TEXT = {"type": ["string", "null"], "description": "null: back to the original text."}


def desk_paths() -> dict[str, Any]:
    """The paths, keyed as in the main document (relative to /api)."""
    return {
        "/editions/{edition_id}/items/{position}": {
            "patch": {
                "summary": "Edit, drop or restore one story of an edition",
                "description": "Stored beside the original; the preview, test sends and the real send use it. "
                "Refused with 409 once the edition's first delivery has started.",
                "parameters": [
                    _EDITION,
                    path_id("position"),
                ],
                "requestBody": json_body(
                    json_object(
                        {"headline": _NULLABLE_TEXT, "summary": _NULLABLE_TEXT, "dropped": {"type": "boolean"}},
                        additionalProperties=False,
                    )
                ),
                "responses": {
                    "200": _ok(
                        "The story's edit now in force.",
                        {
                            "edition_id": {"type": "integer"},
                            "position": {"type": "integer"},
                            "headline": {"type": ["string", "null"]},
                            "summary": {"type": ["string", "null"]},
                            "dropped": {"type": "boolean"},
                            "edited": {"type": "boolean"},
                        },
                    ),
                    "404": _error("No such edition or story."),
                    "409": _error("The edition's delivery has started."),
                    "422": _error("An invalid value."),
                    **UNAUTHORIZED,
                },
            }
        },
        "/editions/{edition_id}/approve": {
            "post": {
                "summary": 'Approve an edition for sending ([schedule] review = "approve")',
                "parameters": [_EDITION],
                "responses": {
                    "200": _ok(
                        "Approved (a second approval keeps the first).",
                        {
                            "edition_id": {"type": "integer"},
                            "approved_by": {"type": "string"},
                            "approved_at": {"type": "string", "format": "date-time"},
                        },
                    ),
                    "404": _error("No such edition."),
                    **UNAUTHORIZED,
                },
            }
        },
        "/deliveries/failures": {
            "get": {
                "summary": "Failed deliveries with the server's last reply, newest first",
                "parameters": [_LIMIT],
                "responses": {
                    "200": _ok("The failures.", {"items": {"type": "array", "items": {"type": "object"}}}),
                    **UNAUTHORIZED,
                },
            }
        },
        "/suppressions": {
            "get": {
                "summary": "The suppression list (only a hash of each address is kept)",
                "parameters": [
                    {"name": "address", "in": "query", "schema": {"type": "string"}, "description": "Exact address."},
                    _LIMIT,
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                ],
                "responses": {
                    "200": _ok(
                        "A page of entries.",
                        {"total": {"type": "integer"}, "items": {"type": "array", "items": {"type": "object"}}},
                    ),
                    **UNAUTHORIZED,
                },
            },
            "delete": {
                "summary": "Remove an address from the suppression list",
                "parameters": [
                    {"name": "address", "in": "query", "schema": {"type": "string"}},
                    {"name": "id", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": _ok("Removed.", {"removed": {"type": "integer"}, "reason": {"type": "string"}}),
                    "404": _error("Not on the list."),
                    "422": _error("Neither address nor id given."),
                    **UNAUTHORIZED,
                },
            },
        },
        "/subscribers/{subscriber_id}/resend-confirmation": {
            "post": {
                "summary": "Send a pending subscriber's confirmation mail again",
                "parameters": [path_id("subscriber_id")],
                "responses": {
                    "202": _ok("Queued.", {"id": {"type": "integer"}, "confirmation": {"type": "string"}}),
                    "404": _error("No such subscriber."),
                    "409": _error("The subscriber is not pending."),
                    **UNAUTHORIZED,
                },
            }
        },
    }
