"""JSON bodies are strict: `true`, `"10"` or `10.5` is not a number of points (pydantic's lax
mode read `true` as +1 and `"10"` as +10). Checked on the adjustment the tester found, and on
every number and yes/no field of every body the API takes. And the adjustment's other doors:
a debit the balance cannot cover is refused before it is queued, and a retry after the kept
answer expired is answered as docs/api.md says, never showing the server's own key."""
from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, func, select

from admin.api import models
from admin.api.client import ApiError
from flows.points import ledger
from schemas.tables import ApiReplay, PointAdjustment


def _bodies() -> list[type[models.Body]]:
    # every module of bodies, so that each subclass is known
    import admin.api.settings_models
    import admin.api.sharing_models
    import admin.api.staff_models  # noqa: F401

    found, todo = [], [models.Body]
    while todo:
        found += (subclasses := todo.pop().__subclasses__())
        todo += subclasses
    return found


def _scalar(annotation: object) -> type | None:
    """int, float or bool behind `X | None`, or None for any other field."""
    options = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    return options[0] if len(options) == 1 and options[0] in (int, float, bool) else None


BAD = {int: [True, "10", 10.5, "1"], float: [True, "1.5"], bool: [1, "true", 0]}


@pytest.mark.parametrize("body", _bodies(), ids=lambda b: b.__name__)
def test_every_number_and_yes_no_field_of_every_body_is_strict(body):
    fields = {name: kind for name, f in body.model_fields.items() if (kind := _scalar(f.annotation))}
    for name, kind in fields.items():
        for value in BAD[kind]:
            with pytest.raises(ValidationError) as refused:
                body.model_validate({name: value})
            assert any(error["loc"][:1] == (name,) for error in refused.value.errors()), (body.__name__, name, value)


def test_queries_still_read_numbers_from_the_query_string():
    assert models.CursorQuery.model_validate({"limit": "5"}).limit == 5


@pytest.mark.parametrize("amount", [True, "10", 10.0, "-5", None])
def test_an_adjustment_of_anything_but_a_whole_number_is_refused(api, world, factory, amount):
    with pytest.raises(ApiError) as refused:
        api("cadm_a")._send("POST", "/counter/adjustments",
                            json={"user_id": world["res_a"], "amount": amount, "reason": "x"})
    assert refused.value.status == 422 and "amount" in refused.value.errors
    with factory() as s:
        assert ledger.balance(s, world["res_a"]) == 0


def test_a_debit_larger_than_the_balance_is_refused_before_it_is_queued(api, world, factory):
    admin = api("cadm_a")
    admin.adjust_points(world["res_a"], 13, "补记")
    for amount in (-14, -100_000):  # below the approval line, and above it (it was queued)
        with pytest.raises(ApiError) as refused:
            admin.adjust_points(world["res_a"], amount, "扣回")
        assert (refused.value.status, refused.value.code) == (409, "ledger.insufficient")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(PointAdjustment)) == 0
        assert ledger.balance(s, world["res_a"]) == 13
    assert admin.adjust_points(world["res_a"], -13, "扣回")["status"] == "posted"


def test_a_retry_after_the_kept_answer_expired_is_200_and_another_body_is_a_reused_key(api, world, factory):
    admin = api("cadm_a")
    first = admin.adjust_points(world["res_a"], 5, "补记", key="adj-expiring")
    with factory() as s:  # a day later: the kept answer is gone, the ledger still knows the key
        s.execute(delete(ApiReplay))
        s.commit()
    again = admin._send("POST", "/counter/adjustments", json={"user_id": world["res_a"], "amount": 5, "reason": "补记"},
                        headers={"Idempotency-Key": "adj-expiring"})
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["posting_id"] == first["posting_id"]
    with factory() as s:
        s.execute(delete(ApiReplay))
        s.commit()
    with pytest.raises(ApiError) as reused:
        admin.adjust_points(world["res_a"], 6, "补记", key="adj-expiring")
    assert (reused.value.status, reused.value.code) == (422, "api.key_reused")
    assert "adjust:" not in reused.value.detail and "adj-expiring" not in reused.value.detail
    with factory() as s:
        assert ledger.balance(s, world["res_a"]) == 5


def test_a_queued_adjustments_key_with_another_amount_is_a_reused_key(api, world, factory):
    admin = api("cadm_a")
    admin.adjust_points(world["res_a"], 500, "年度表彰", key="adj-big")
    with factory() as s:
        s.execute(delete(ApiReplay))
        s.commit()
    with pytest.raises(ApiError) as reused:
        admin.adjust_points(world["res_a"], 600, "年度表彰", key="adj-big")
    assert (reused.value.status, reused.value.code) == (422, "api.key_reused")
