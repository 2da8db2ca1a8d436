"""The programme's figures as the report counts them, per region and period."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from schemas.tables import (
    Account,
    Claim,
    Demand,
    DirectoryEntry,
    DirectoryService,
    Entry,
    MemberRegistration,
    NewsPost,
    OrgRegistration,
    Posting,
    PostingKind,
    Region,
    RegionLevel,
    RegistrationStatus,
)

FIGURES = [
    ("organisations", "报到党组织"), ("members", "报到党员"), ("activities", "开展活动"),
    ("participants", "参与人次"), ("volunteer", "志愿服务"), ("wishes", "解决微心愿"),
    ("appointments", "预约服务"), ("news", "发布资讯"), ("directory", "便民服务事项"),
    ("issued", "发放积分"), ("redeemed", "兑换积分"),
]


def _in(column, communities):
    return column.in_(communities)


def figures(session: Session, communities: list[int], since: datetime | None = None,
            until: datetime | None = None) -> dict[str, int]:
    """The figures for a set of communities over [since, until)."""
    def period(column):
        clauses = []
        if since is not None:
            clauses.append(column >= since)
        if until is not None:
            clauses.append(column < until)
        return clauses

    def count(query):
        return int(session.scalar(query) or 0)

    done = lambda workflow: count(select(func.count()).select_from(Demand).where(  # noqa: E731
        _in(Demand.community_id, communities), Demand.workflow_id == workflow, Demand.state == "done",
        *period(Demand.state_since)))
    issued = count(select(func.sum(Entry.amount)).join(Posting, Posting.id == Entry.posting_id)
                   .join(Account, Account.id == Entry.account_id).join(Demand, Demand.id == Posting.demand_id)
                   .where(Posting.kind == PostingKind.AWARD, Entry.amount > 0, _in(Demand.community_id, communities),
                          *period(Entry.created_at)))
    redeemed = count(select(func.sum(Entry.amount)).join(Posting, Posting.id == Entry.posting_id)
                     .join(Account, Account.id == Entry.account_id)
                     .where(Account.code.in_([f"shop:{c}" for c in communities]),
                            Posting.kind.in_([PostingKind.REDEEM, PostingKind.REVERSAL]), *period(Entry.created_at)))
    return {
        "organisations": count(select(func.count(func.distinct(OrgRegistration.org_id))).where(
            _in(OrgRegistration.community_id, communities), OrgRegistration.status == RegistrationStatus.APPROVED,
            *period(OrgRegistration.created_at))),
        "members": count(select(func.count()).select_from(MemberRegistration).where(
            _in(MemberRegistration.community_id, communities), MemberRegistration.status == RegistrationStatus.APPROVED,
            *period(MemberRegistration.created_at))),
        "activities": done("joint_activity"),
        "participants": count(select(func.count()).select_from(Claim).join(Demand, Demand.id == Claim.demand_id).where(
            _in(Demand.community_id, communities), Demand.workflow_id == "joint_activity", Demand.state == "done",
            Claim.user_id.is_not(None), *period(Demand.state_since))),
        "volunteer": count(select(func.count()).select_from(Claim).join(Demand, Demand.id == Claim.demand_id).where(
            _in(Demand.community_id, communities), Demand.workflow_id == "volunteer_item", *period(Claim.created_at))),
        "wishes": done("micro_wish"),
        "appointments": done("appointment"),
        "news": count(select(func.count()).select_from(NewsPost).where(
            _in(NewsPost.region_id, communities), NewsPost.published_at.is_not(None), *period(NewsPost.published_at))),
        "directory": count(select(func.count()).select_from(DirectoryService).join(
            DirectoryEntry, DirectoryEntry.id == DirectoryService.entry_id).where(
            _in(DirectoryEntry.community_id, communities))),
        "issued": issued,
        "redeemed": redeemed,
    }


def communities_under(session: Session, paths: list[str]) -> list[Region]:
    """Communities inside any of the region paths (an admin's scope)."""
    if not paths:
        return []
    return list(session.scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY,
                                                     or_(*[Region.path.startswith(p) for p in paths]))
                                .order_by(Region.path)))


def by_district(session: Session, communities: list[Region], since=None, until=None) -> list[tuple[Region, dict]]:
    """Figures per district within the given communities."""
    districts: dict[int, list[int]] = {}
    for c in communities:
        district_id = int(c.path.strip("/").split("/")[1])
        districts.setdefault(district_id, []).append(c.id)
    return [(session.get(Region, d), figures(session, ids, since, until)) for d, ids in districts.items()]
