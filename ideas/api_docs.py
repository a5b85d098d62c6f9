"""The API's documentation, rendered on the server from the OpenAPI document itself.

No Swagger UI: its bundle needs inline script (our CSP forbids it) and JavaScript
(our pages work without). The page is made from `api.OPENAPI`, so it cannot drift
from what `/api/openapi.json` says.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .api import OPENAPI

METHODS = ("get", "post", "put", "patch", "delete")


def _type(schema: dict[str, Any] | None) -> dict[str, Any]:
    """A schema as words and, for a named schema, the anchor to link to."""
    if not schema:
        return {"text": "", "ref": ""}
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return {"text": name, "ref": name}
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        inner = _type(schema.get("items"))
        return {"text": f"array of {inner['text'] or 'values'}", "ref": inner["ref"]}
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    return {"text": kind, "ref": ""}


def _constraints(schema: dict[str, Any]) -> list[str]:
    out = []
    if "enum" in schema:
        out.append("one of: " + ", ".join(str(v) for v in schema["enum"]))
    if "minimum" in schema:
        out.append(f"at least {schema['minimum']}")
    if "maximum" in schema:
        out.append(f"at most {schema['maximum']}")
    if "default" in schema:
        out.append(f"default {schema['default']}")
    return out


def _properties(schema: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """Rows for a schema's properties, nested objects flattened as a.b."""
    rows = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        rows.append(
            {
                "name": prefix + name,
                "type": _type(prop),
                "required": name in required,
                "description": prop.get("description", ""),
                "constraints": _constraints(prop),
            }
        )
        target = prop.get("items", {}) if prop.get("type") == "array" else prop
        if target.get("properties"):
            suffix = "[]." if prop.get("type") == "array" else "."
            rows.extend(_properties(target, prefix + name + suffix))
    return rows


def operations(document: dict[str, Any] = OPENAPI) -> list[dict[str, Any]]:
    ops = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = []
            for code, response in op.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {})
                schema = schema.get("schema")
                body = None
                if schema and "properties" in schema:
                    body = _properties(schema)
                responses.append(
                    {
                        "code": code,
                        "description": response.get("description", ""),
                        "type": _type(schema) if schema and not body else None,
                        "body": body,
                    }
                )
            ops.append(
                {
                    "id": f"{method}-{path.strip('/').replace('/', '-')}".replace(
                        "{", ""
                    ).replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "try": path if "{" not in path and method == "get" else "",
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p.get("in", ""),
                            "required": p.get("required", False),
                            "type": _type(p.get("schema")),
                            "constraints": _constraints(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": responses,
                }
            )
    return ops


def schemas(document: dict[str, Any] = OPENAPI) -> list[dict[str, Any]]:
    return [
        {"name": name, "rows": _properties(schema)}
        for name, schema in document.get("components", {}).get("schemas", {}).items()
    ]


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "ideas/api_docs.html",
        {
            "info": OPENAPI.get("info", {}),
            "openapi_version": OPENAPI.get("openapi", ""),
            "operations": operations(),
            "schemas": schemas(),
        },
    )


@require_GET
def api_index(request: HttpRequest) -> HttpResponse:
    """The endpoints, as JSON for programs (`Accept: application/json` or
    `?format=json`) and as a short page for people."""
    ops = operations()
    wants_json = request.GET.get("format") == "json" or (
        "application/json" in request.headers.get("Accept", "")
        and "text/html" not in request.headers.get("Accept", "")
    )
    if wants_json:
        return JsonResponse(
            {
                "openapi": request.build_absolute_uri("/api/openapi.json"),
                "docs": request.build_absolute_uri("/api/docs/"),
                "endpoints": [
                    {"method": o["method"], "path": o["path"], "summary": o["summary"]}
                    for o in ops
                ],
            }
        )
    return render(
        request,
        "ideas/api_index.html",
        {"info": OPENAPI.get("info", {}), "operations": ops},
    )
