"""Re-doing after undoing: only active claims and live bookings are unique, so a member who
withdrew signs up again and a cancelled slot is booked again; a second live one is refused in
plain words, also when two are sent at the same moment."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from flows import engine
from flows.core.db import make_engine, make_sessionmaker
from flows.core.refusals import Refused
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    Booking,
    BookingStatus,
    Claim,
    ClaimStatus,
    Demand,
    Region,
)
from tests.flows.walker import Walker
from tests.world import NOW, build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def test_a_member_who_withdrew_signs_up_again(factory, world):
    walk = Walker(factory, world).recruiting_activity("植树", 3, NOW + timedelta(days=3))
    walk.act("mem1", "withdraw")
    walk.act("mem1", "sign_up")
    with pytest.raises(Refused) as twice:
        walk.act("mem1", "sign_up")
    assert twice.value.code == "duplicate"
    with factory() as s:
        statuses = s.scalars(select(Claim.status).where(Claim.demand_id == walk.demand_id, Claim.user_id == world["mem1"])
                             .order_by(Claim.id)).all()
    assert statuses == [ClaimStatus.WITHDRAWN, ClaimStatus.ACTIVE]


def test_a_cancelled_slot_is_booked_again_and_a_held_one_is_refused_plainly(factory, world):
    walk = Walker(factory, world)
    walk.start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    with pytest.raises(Refused) as held:
        Walker(factory, world).start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    assert held.value.code == "slot_held" and held.value.message() == "您已预约了这个时段，不用再约"
    walk.act("res_a", "cancel")
    again = Walker(factory, world)
    again.start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]).booked == 1
        assert s.scalars(select(Booking.status).order_by(Booking.id)).all() == [BookingStatus.CANCELLED,
                                                                                  BookingStatus.BOOKED]
        # where: the service's community (it said 地点：义务理发, the service's name)
        assert s.get_one(Demand, again.demand_id).place == s.get_one(Region, world["ca"]).name


def test_a_booking_at_the_same_time_as_another_service_is_refused_plainly(factory, world):
    """One person cannot be at the barber's and the counsellor's at once: the second service's
    overlapping slot is refused, naming the first; a slot after it is booked."""
    with factory() as s:
        first = s.get_one(AppointmentSlot, world["slot"])
        counsel = AppointmentService(community_id=world["ca"], task_type_id=world["tt_appointment"], name="心理咨询")
        s.add(counsel)
        s.flush()
        overlapping = AppointmentSlot(service_id=counsel.id, starts_at=first.starts_at + timedelta(minutes=30),
                                      ends_at=first.ends_at + timedelta(minutes=30), capacity=3)
        after = AppointmentSlot(service_id=counsel.id, starts_at=first.ends_at, ends_at=first.ends_at + timedelta(hours=1),
                                capacity=3)
        s.add_all([overlapping, after])
        s.commit()
        overlapping_id, after_id = overlapping.id, after.id
    Walker(factory, world).start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    with pytest.raises(Refused) as clash:
        Walker(factory, world).start("res_a", "appointment", {"title": "咨询"}, slot=overlapping_id)
    assert clash.value.code == "slot_clash" and "已预约了“义务理发”" in clash.value.message()
    # read at once, beside a list that says 明天 09:00 (the world's slot is a day after its 10:00)
    assert "您 今天 " in clash.value.message() or "您 明天 " in clash.value.message()
    Walker(factory, world).start("res_a", "appointment", {"title": "咨询"}, slot=after_id)  # touching is not overlapping
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.user_id == world["res_a"])) == 2


def test_the_database_keeps_one_live_row(factory, world):
    """The partial indexes themselves (both engines): a second active claim or live booking is
    refused by the database, a withdrawn or cancelled one is not in the way."""
    walk = Walker(factory, world).recruiting_activity("清雪", 3, NOW + timedelta(days=4))
    row = {"demand_id": walk.demand_id, "step": "sign_up", "user_id": world["mem1"], "created_by": world["mem1"]}
    with factory() as s, pytest.raises(IntegrityError):
        s.execute(insert(Claim), [{**row, "status": ClaimStatus.ACTIVE}])
    with factory() as s, s.begin():
        s.execute(insert(Claim), [{**row, "status": ClaimStatus.WITHDRAWN}, {**row, "status": ClaimStatus.WITHDRAWN}])
    booking = {"slot_id": world["slot"], "user_id": world["res_a"]}
    with factory() as s, s.begin():
        s.execute(insert(Booking), [{**booking, "status": BookingStatus.CANCELLED},
                                    {**booking, "status": BookingStatus.CANCELLED},
                                    {**booking, "status": BookingStatus.BOOKED}])
    with factory() as s, pytest.raises(IntegrityError):
        s.execute(insert(Booking), [{**booking, "status": BookingStatus.BOOKED}])


def test_the_same_slot_booked_twice_at_once_is_one_booking(factory, world, db_url):
    """Two taps on 预约 from two phones of one resident: one booking, one plain refusal."""
    with factory() as s, s.begin():
        s.get(AppointmentSlot, world["slot"]).capacity = 5
    wide_engine = make_engine(db_url, pool_size=6)
    wide = make_sessionmaker(wide_engine)
    barrier = Barrier(6)

    def book(_):
        barrier.wait(timeout=30)
        with wide() as s:
            try:
                return engine.start(s, world["res_a"], world["tt_appointment"], {"title": "理发"},
                                    slot_id=world["slot"], now=NOW)
            except Refused as exc:
                return exc.code

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [f.result(timeout=120) for f in [pool.submit(book, i) for i in range(6)]]
    wide_engine.dispose()
    codes = [r for r in results if isinstance(r, str)]
    assert len(results) - len(codes) == 1 and set(codes) == {"slot_held"}
    with factory() as s:
        assert s.get(AppointmentSlot, world["slot"]).booked == 1
        assert s.scalar(select(func.count()).select_from(Booking)) == 1


def test_a_booking_and_an_activity_at_the_same_hour_refuse_each_other(factory, world):
    """A resident signed up to an activity and booked the barber for the same hour, both
    accepted (the walk): the second is refused either way round, naming the first."""
    with factory() as s:
        slot = s.get_one(AppointmentSlot, world["slot"])
        start = slot.starts_at
    booked = Walker(factory, world)
    booked.start("res_a", "appointment", {"title": "理发"}, slot=world["slot"])
    activity = Walker(factory, world).published_activity("后天清扫", 5, start)
    with pytest.raises(Refused) as clash:
        activity.act("res_a", "volunteer")
    assert clash.value.code == "guard.booking_clash" and "义务理发" in clash.value.message()
    activity.act("res_a2", "volunteer")  # another resident, nothing booked: welcome
    with pytest.raises(Refused) as other_way:
        Walker(factory, world).start("res_a2", "appointment", {"title": "理发"}, slot=world["slot"])
    assert other_way.value.code == "slot_clash_claim" and "后天清扫" in other_way.value.message()
