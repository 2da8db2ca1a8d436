"""The talent pool (人才资源库): a member keeps their own skills current, so the hall's skill
match and the skills guard read what is true today."""
from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from flows.core import journal
from flows.core.db import in_transaction
from flows.core.i18n import N_
from flows.core.refusals import Refused
from flows.people.actors import ActorContext
from schemas.tables import Member, Skill, member_skills


def is_member(session: Session, user_id: int | None) -> bool:
    """Whether the user is an in-service member (has a talent-pool entry)."""
    return user_id is not None and session.get(Member, user_id) is not None


def skill_choices(session: Session) -> list[Skill]:
    """Every skill of the pool, in a stable order."""
    return list(session.scalars(select(Skill).order_by(Skill.id)))


def my_skills(session: Session, user_id: int | None) -> set[str]:
    return set(session.scalars(select(Skill.code).join(member_skills, member_skills.c.skill_id == Skill.id)
                               .where(member_skills.c.member_id == user_id)))


def set_skills(session: Session, actor: ActorContext, codes: list[str]) -> set[str]:
    """Replace the member's skills with `codes` (unknown codes refused); an event records the
    change. Doing it twice leaves the same skills: no one-time key is needed."""
    user_id = actor.user_id
    if user_id is None or not is_member(session, user_id):
        raise Refused("role")
    wanted = set(codes)
    known = dict(session.execute(select(Skill.code, Skill.id).where(Skill.code.in_(wanted))).all())
    if len(known) != len(wanted) or len(wanted) > 30:
        raise Refused("input", fields={"skills": N_("请从列表中选择技能")})
    before = my_skills(session, user_id)

    def work() -> set[str]:
        session.execute(delete(member_skills).where(member_skills.c.member_id == user_id))
        if known:
            session.execute(insert(member_skills), [{"member_id": user_id, "skill_id": i} for i in known.values()])
        journal.record(session, subject="member", subject_id=user_id, step="skills", from_state=None,
                       to_state=None, actor_id=user_id,
                       data={"before": sorted(before), "after": sorted(wanted)})
        return wanted

    return in_transaction(session, work)
