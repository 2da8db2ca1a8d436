"""A demand's claims: the one query that reads them, and whose they are.

Permissions (is this person a claimant?), records (the actor's own claim to sign in on),
visibility and the automated effects (who gets the points) all ask the same question of the
same rows; they derive their answers from `claims_of` instead of each writing the query.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from flows.people.actors import ActorContext
from schemas.tables import Claim, ClaimStatus

ACTIVE = (ClaimStatus.ACTIVE,)
SERVED = (ClaimStatus.ACTIVE, ClaimStatus.DONE)  # claims that count for an award: not withdrawn

# Built once: the active claims are read on every demand page and most actions.
_CLAIMS = (select(Claim).where(Claim.demand_id == bindparam("demand_id"),
                               Claim.status.in_(bindparam("statuses", expanding=True)))
           .order_by(Claim.id))


def claims_of(session: Session, demand_id: int, statuses: Iterable[ClaimStatus] = ACTIVE) -> list[Claim]:
    """The demand's claims in these statuses (active by default), oldest first."""
    return list(session.scalars(_CLAIMS, {"demand_id": demand_id, "statuses": list(statuses)}))


def active_claims(session: Session, demand_id: int) -> list[Claim]:
    """The demand's active claims, oldest first."""
    return claims_of(session, demand_id, ACTIVE)


def held_by(actor: ActorContext, claims: Iterable[Claim]) -> list[Claim]:
    """The claims the actor holds: their own first; failing that, their organisation's."""
    claims = list(claims)
    own = [c for c in claims if c.user_id is not None and c.user_id == actor.user_id]
    return own or [c for c in claims if c.org_id is not None and c.org_id in actor.org_admin_of]


# Records about one's own place: 取消报名 gives it back, 签到/签退 say one came with it.
OWN_PLACE_RECORDS = frozenset({"withdraw", "sign_in", "sign_out"})


def own_place_held(record: str | None, actor: ActorContext, claims: Iterable[Claim]) -> bool:
    """Whether a step recording `record` may be taken for the claims held: 取消报名 and 签到/
    签退 are about one's own place, so they need one; an organisation's grab is not a place (an
    admin withdrawing it left the activity recruiting for an organisation that no longer held
    it; the walk found the organisation's admin signed in as a participant). Any other step: yes."""
    return record not in OWN_PLACE_RECORDS or any(c.user_id is not None and c.user_id == actor.user_id
                                                   for c in claims)


def is_claimant(actor: ActorContext, claims: Iterable[Claim]) -> bool:
    """Whether the actor holds one of the claims (a member's own, or their organisation's)."""
    return bool(held_by(actor, claims))
