"""The OpenAPI document: valid 3.1, generated from the models and from the workflows as they
are published — a field a district adds in YAML appears in the document and is validated."""
from __future__ import annotations

from openapi_spec_validator import validate

from flows.workflow import registry
from schemas.settings import ROOT
from tests.admin.conftest import PASSWORD  # noqa: F401  (the app's users have it)
from tests.flows.walker import Walker


def test_the_document_is_valid_and_names_each_workflow_version(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    validate(doc)
    assert doc["openapi"] == "3.1.0" and doc["x-workflows"]["micro_wish"]["version"] >= 1
    schemas = doc["components"]["schemas"]
    assert schemas["micro_wish.serve"]["properties"]["hours"]["maximum"] == 12
    assert "/api/v1/demands/{demand_id}/steps/{step}" in doc["paths"]
    page = app.test_client().get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data and b"https://" not in page.data
    assert app.test_client().get("/api/v1/docs/js/swagger-ui-bundle.js").status_code == 200
    assert app.test_client().get("/api/v1/docs/js/../../openapi.json").status_code == 404  # only the two files


def test_a_field_added_in_yaml_appears_and_is_validated(app, api, factory, world):
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text(encoding="utf-8")
    added = source.replace("      note:  {type: text, title: 服务说明, max_length: 500, multiline: true}",
                           "      note:  {type: text, title: 服务说明, max_length: 500, multiline: true}\n"
                           "      helpers: {type: integer, title: 同行人数, min: 0, max: 5}")
    assert added != source
    with factory() as s:
        registry.publish(s, added, "micro_wish.yaml", district_id=world["d1"])
        s.commit()
    doc = app.test_client().get(f"/api/v1/openapi.json?district={world['d1']}").json
    validate(doc)
    assert doc["components"]["schemas"]["micro_wish.serve"]["properties"]["helpers"]["maximum"] == 5
    assert "helpers" not in app.test_client().get("/api/v1/openapi.json").json["components"]["schemas"][
        "micro_wish.serve"]["properties"]  # the city's template is unchanged
    demand_id = Walker(factory, world).start("res_a", "micro_wish", {"title": "新字段"}).demand_id
    api("cadm_a").step(demand_id, "publish")
    member = api("mem1")
    member.step(demand_id, "claim")
    import pytest

    from admin.api.client import ApiError

    with pytest.raises(ApiError) as refused:
        member.step(demand_id, "serve", {"hours": 1, "note": "好", "helpers": 9})
    assert set(refused.value.errors) == {"helpers"}
    assert member.step(demand_id, "serve", {"hours": 1, "note": "好", "helpers": 2})["to_state"] == "served"
