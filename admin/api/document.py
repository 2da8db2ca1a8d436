"""The OpenAPI 3.1 document and its browsable page.

The routes' part is spectree's, generated from the pydantic models of admin/api/models.py.
Each workflow's part is generated from the compiled workflows as they are published: every
human and start step's input model (flows/workflow/inputs.py, the model the engine validates
with) becomes `components.schemas["<workflow>.<step>"]`, and `x-workflows` says which version
of each workflow the document describes. So a field a district adds in YAML is in the
document as soon as the version is published, with no code change and no restart.

`?district=<id>` describes that district's own lines (where it has one) instead of the
city's templates. The page is Swagger UI 5 (the first to read OpenAPI 3.1) from the
`flask-openapi3-swagger` package's files, served here (no CDN)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from flask import current_app, render_template_string, send_from_directory
from pydantic import BaseModel

from admin.api import bp, spec
from admin.api.demands import schema_name
from admin.api.problems import MEDIA_TYPE, ApiProblem
from admin.database import db
from admin.params import arg_int
from admin.security.headers import nonce
from flows.workflow import registry
from flows.workflow.compiled import CompiledWorkflow

REF = "#/components/schemas/{model}"


def _static() -> dict[str, Any]:
    """The routes' part, generated once per app (the routes do not change while it runs)."""
    key = "yijia.api_spec"
    if key not in current_app.extensions:
        current_app.extensions[key] = spec.spec
    return current_app.extensions[key]


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    return schema


def step_schemas(workflow: CompiledWorkflow, components: dict[str, Any]) -> list[str]:
    """Add every start and human step's input schema of `workflow`; their names."""
    names = []
    for step in list(workflow.start_steps()) + [s for s in workflow.spec.steps if s not in workflow.start_steps()]:
        model = workflow.inputs.get(step)
        if model is None:
            continue
        schema = _schema(model, components)
        schema["title"] = workflow.spec.steps[step].title
        schema["x-workflow"] = {"id": workflow.id, "step": step}
        components[schema_name(workflow.id, step)] = schema
        names.append(schema_name(workflow.id, step))
    return names


def _problems_as_problems(doc: dict[str, Any]) -> None:
    """Every 4xx/5xx answer is a problem detail, `application/problem+json` (admin/api/problems.py).
    Every operation may answer 400: a NUL byte in the query, the form or the path is refused
    before any view runs (admin/params.py), and a JSON body that does not parse is too
    (admin/api/bodies.py); an operation with a JSON body may also answer 415 (it is not JSON)."""
    problem = next(name for name in doc["components"]["schemas"] if name.split(".")[0] == "Problem")
    for operations in doc["paths"].values():
        for operation in operations.values():
            if "requestBody" not in operation and not any(p.get("in") == "query" for p in operation.get("parameters", [])):
                # spectree promises a validation error to every operation; with nothing to
                # validate (a bad path id does not match the route: 404) there is none
                operation.get("responses", {}).pop("422", None)
            operation.setdefault("responses", {}).setdefault("400", {"description": "Bad Request"})
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                operation["responses"].setdefault("415", {"description": "Unsupported Media Type"})
            for status, answer in operation.get("responses", {}).items():
                if status[:1] in "45":
                    answer["content"] = {MEDIA_TYPE: {"schema": {"$ref": REF.format(model=problem)}}}


def document(district_id: int | None) -> dict[str, Any]:
    doc = copy.deepcopy(_static())
    _problems_as_problems(doc)
    components = doc.setdefault("components", {}).setdefault("schemas", {})
    described: dict[str, Any] = {}
    refs: list[str] = []
    session = db()
    for workflow_id in registry.workflow_ids(session):
        row = registry.latest_version(session, workflow_id, district_id)
        if row is None:
            continue
        workflow = registry.load(session, workflow_id, row.version, row.content_hash)
        refs += step_schemas(workflow, components)
        described[workflow_id] = {"version": row.version, "hash": row.content_hash, "title": workflow.spec.title,
                                  "district_id": row.district_id}
    doc["openapi"] = "3.1.0"
    doc["x-workflows"] = described
    doc["info"]["description"] = (doc["info"].get("description", "") + " Workflows described: " + ", ".join(
        f"{k} v{v['version']}" for k, v in described.items()) + ".")
    one_of = {"anyOf": [{"$ref": REF.format(model=name)} for name in refs]} if refs else {"type": "object"}
    for name, schema in components.items():
        if name.split(".")[0] in ("StepRequest", "StartRequest") or name.endswith((".StepRequest", ".StartRequest")):
            values = schema.get("properties", {}).get("values")
            if values is not None:
                schema["properties"]["values"] = {**one_of, "description": values.get("description", "")}
    return doc


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document (public: it describes, it shows no data)."""
    district = arg_int("district", required=False)
    response = current_app.json.response(document(district))
    response.headers["Cache-Control"] = "no-cache"
    return response


_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>伊家 API</title><link rel="stylesheet" href="{{ base }}/docs/css/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{{ base }}/docs/js/swagger-ui-bundle.js" nonce="{{ nonce }}"></script>
<script nonce="{{ nonce }}">window.ui = SwaggerUIBundle({url: "{{ base }}/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>"""


@bp.get("/docs")
def docs_page() -> str:
    """The document to browse and try (Swagger UI, served from the installed package)."""
    return render_template_string(_PAGE, base=bp.url_prefix, nonce=nonce())


# Swagger UI's files as the package ships them (only these two are served)
ASSETS = {"css/swagger-ui.css", "js/swagger-ui-bundle.js"}


@bp.get("/docs/<any(css, js):kind>/<name>")
def docs_asset(kind: str, name: str):
    import flask_openapi3_swagger

    if f"{kind}/{name}" not in ASSETS:
        raise ApiProblem(404, "api.not_found")
    folder = Path(flask_openapi3_swagger.__file__).parent / "templates" / "swagger" / kind
    return send_from_directory(str(folder), name, max_age=86400)
