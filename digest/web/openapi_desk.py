"""The OpenAPI paths of :mod:`digest.web.api_desk` (story edits, pin, move, revert,
approval and its withdrawal, rebuild, failures, retry, release, suppressions, resending
a confirmation), merged into :func:`digest.web.openapi.spec`."""

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


_ITEM = [_EDITION, path_id("position")]
_ORDER = _ok(
    "The edition's order now in force (positions in reading order, empty: as built; lead: the pinned story).",
    {
        "edition_id": {"type": "integer"},
        "positions": {"type": "array", "items": {"type": "integer"}},
        "lead": {"type": ["integer", "null"]},
    },
)
_LOCKED = _error("The edition's delivery has started.")
_REBUILT = _ok(
    "The edition rebuilt with the decision, and the editor's decisions it could not keep.",
    {
        "edition_id": {"type": "integer"},
        "items": {"type": "integer"},
        "unkept": {"type": "array", "items": {"type": "object"}},
    },
)
_REOPENED = _ok(
    "Rows due again, and the failed rows left alone by their subscriber's status.",
    {
        "edition_id": {"type": "integer"},
        "rows": {"type": "integer"},
        "not_retried": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
)


def _post(summary: str, parameters: list[dict[str, Any]], responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"post": {"summary": summary, "parameters": parameters, "responses": {**responses, **UNAUTHORIZED}, **more}}


def _desk_actions() -> dict[str, Any]:
    """The desk actions added with the action layer (same names in the audit log as the console's)."""
    return {
        "/editions/{edition_id}/items/{position}/revert": _post(
            "Take a story back to its original text (and back in, if dropped)",
            _ITEM,
            {
                "200": _ok("The story as built.", {"edited": {"type": "boolean"}}),
                "404": _error("No such story."),
                "409": _LOCKED,
            },
        ),
        "/editions/{edition_id}/items/{position}/pin": _post(
            'Pin a story as the lead ({"pinned": false} unpins it); kept across a rebuild',
            _ITEM,
            {"200": _ORDER, "404": _error("No such story."), "409": _LOCKED, "422": _error("An invalid value.")},
            requestBody=json_body(json_object({"pinned": {"type": "boolean"}}, additionalProperties=False)),
        ),
        "/editions/{edition_id}/items/{position}/move": _post(
            "Move a story one place up or down among the stories of its kind",
            _ITEM,
            {
                "200": _ORDER,
                "404": _error("No such story."),
                "409": _LOCKED,
                "422": _error("Already first or last, or across the pinned lead."),
            },
            requestBody=json_body(json_object({"direction": {"type": "string", "enum": ["up", "down"]}})),
        ),
        "/editions/{edition_id}/items/{position}/merge": _post(
            'Merge the story at {"other": position} into this one (its articles become "Lire aussi" sources); '
            "the edition is rebuilt and the decision kept across later rebuilds",
            _ITEM,
            {"200": _REBUILT, "404": _error("No such story."), "409": _LOCKED, "422": _error("An invalid value.")},
            requestBody=json_body(
                json_object(
                    {"other": {"type": "integer", "minimum": 0}}, required=["other"], additionalProperties=False
                )
            ),
        ),
        "/editions/{edition_id}/items/{position}/split": _post(
            "Split a story back into one story per article; the edition is rebuilt",
            _ITEM,
            {"200": _REBUILT, "404": _error("No such story."), "409": _LOCKED, "422": _error("One source only.")},
        ),
        "/editions/{edition_id}/items/{position}/finally": _post(
            'Put a story in the closing "Et enfin" slot ({"finally": false} leaves the slot empty); '
            "the edition is rebuilt",
            _ITEM,
            {"200": _REBUILT, "404": _error("No such story."), "409": _LOCKED, "422": _error("An invalid value.")},
            requestBody=json_body(json_object({"finally": {"type": "boolean"}}, additionalProperties=False)),
        ),
        "/editions/{edition_id}/withdraw": _post(
            "Withdraw an edition's approval, until its delivery starts",
            [_EDITION],
            {
                "200": _ok("Withdrawn.", {"edition_id": {"type": "integer"}, "withdrawn": {"type": "boolean"}}),
                "404": _error("No such edition."),
                "409": _LOCKED,
            },
        ),
        "/editions/{edition_id}/rebuild": _post(
            "Rebuild an edition, keeping the editor's edits, drops, pin and order by article URL",
            [
                _EDITION,
                {
                    "name": "force",
                    "in": "query",
                    "schema": {"type": "boolean"},
                    "description": "Rebuild even when some decisions cannot be kept.",
                },
            ],
            {
                "200": _ok(
                    "Rebuilt.",
                    {
                        "edition_id": {"type": "integer"},
                        "items": {"type": "integer"},
                        "unkept": {"type": "array", "items": {"type": "object"}},
                    },
                ),
                "404": _error("No such edition."),
                "409": _error("Its delivery has started, or (without force) some decisions cannot be kept: `unkept`."),
            },
        ),
        "/deliveries/{edition_id}/retry-failed": _post(
            "Retry an edition's failed deliveries (confirmed subscribers only)",
            [_EDITION],
            {"200": _REOPENED, "404": _error("No such edition.")},
        ),
        "/deliveries/{edition_id}/release-held": _post(
            "Send an edition's held deliveries again", [_EDITION], {"200": _REOPENED, "404": _error("No such edition.")}
        ),
    }


def desk_paths() -> dict[str, Any]:
    """The paths, keyed as in the main document (relative to /api)."""
    return {
        **_desk_actions(),
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
        "/subscribers/{subscriber_id}/reconfirm": {
            "post": {
                "summary": "Lift a suppression our relay or bounces caused (hard: owners only; subscriber.reconfirm)",
                "parameters": [path_id("subscriber_id")],
                "requestBody": json_body(
                    json_object({"reason": {"type": "string"}}, required=["reason"], additionalProperties=False)
                ),
                "responses": {
                    "200": _ok(
                        "Lifted: the subscriber is back on the list.",
                        {"id": {"type": "integer"}, "lifted": {"type": "string"}, "cause": {"type": "string"}},
                    ),
                    "404": _error("No such subscriber, or not suppressed."),
                    "422": _error("No reason, or a suppression only the reader can lift (hard bounce, complaint...)."),
                    **UNAUTHORIZED,
                },
            }
        },
    }
