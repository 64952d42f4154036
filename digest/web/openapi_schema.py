"""The pieces both parts of the admin API's OpenAPI description are built from
(:mod:`digest.web.openapi` and :mod:`digest.web.openapi_desk`)."""

from __future__ import annotations

from typing import Any

UNAUTHORIZED = {"401": {"$ref": "#/components/responses/Unauthorized"}}


def ref(name: str) -> dict[str, str]:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """A response whose body is JSON of ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body of ``schema``."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def json_object(properties: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    """An object schema with these properties (``keywords``: required, additionalProperties...)."""
    return {"type": "object", **keywords, "properties": properties}


def path_id(name: str) -> dict[str, Any]:
    """A whole-number path parameter."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
