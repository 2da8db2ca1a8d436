"""Staff tools answer `403 api.staff_only` to everyone else (docs/api.md), whatever they send:
every operation the document tags "staff tools", walked as a member and as a resident. And a
refusal of something not found, or not the admin's, names that thing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from admin.api.client import ApiError
from schemas.tables import MemberRegistration

STAFF = "staff tools"


def _staff_operations(api) -> list[tuple[str, str]]:
    document = api().http.get("/openapi.json").json()
    return [(method.upper(), re.sub(r"\{[^}]+\}", "1", path.replace("{kind}", "member")))
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if isinstance(operation, dict) and STAFF in operation.get("tags", [])]


@pytest.mark.parametrize("who", ["mem1", "res_a"])
def test_every_staff_operation_refuses_everyone_but_staff(api, world, who):
    client = api(who)
    operations = _staff_operations(api)
    assert len(operations) >= 17 and ("GET", "/api/v1/approvals") in operations
    for method, path in operations:
        body = {} if method in ("POST", "PUT", "PATCH") else None
        with pytest.raises(ApiError) as refused:
            client._send(method, path.removeprefix("/api/v1"), json=body)
        assert (refused.value.status, refused.value.code) == (403, "api.staff_only"), (method, path)


def test_an_admin_still_reaches_the_staff_tools(api, world):
    """The positive control: the community's admin is served, not refused."""
    admin = api("cadm_a")
    assert admin.get("/approvals")["items"] is not None
    assert admin.get("/queue")["items"] is not None


def test_approving_a_report_in_not_mine_names_the_report_in(api, world, factory):
    with factory() as s:
        registration = s.scalar(select(MemberRegistration.id).where(
            MemberRegistration.member_id == world["mem_pending"]))
    with pytest.raises(ApiError) as refused:
        api("cadm_b").post(f"/approvals/member/{registration}", {"approve": True})
    assert (refused.value.status, refused.value.code) == (404, "registration.not_found")
    assert "报到" in refused.value.detail and "需求" not in refused.value.detail
    with pytest.raises(ApiError) as english:
        api("cadm_b", language="en").post(f"/approvals/member/{registration}", {"approve": True})
    assert "report-in" in english.value.detail.lower()


def test_another_communitys_phone_names_the_community(api, world):
    with pytest.raises(ApiError) as refused:
        api("cadm_a")._send("PUT", f"/counter/communities/{world['cb']}/phone", json={"phone": "0458-3601234"})
    assert (refused.value.status, refused.value.code) == (404, "region.not_found")
    assert "社区" in refused.value.detail and "用户" not in refused.value.detail
