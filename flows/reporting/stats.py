"""The programme's figures as the report counts them, per region and period."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.core.i18n import N_
from flows.people.regions import district_id
from flows.reporting import tallies
from schemas.tables import (
    DirectoryEntry,
    DirectoryService,
    MemberRegistration,
    NewsPost,
    OrgRegistration,
    Region,
    RegistrationStatus,
)

# Each figure's key and its label (a catalogue msgid: the console shows it in the reader's language).
FIGURES = [
    ("organisations", N_("报到党组织")), ("members", N_("报到党员")), ("activities", N_("开展活动")),
    ("participants", N_("参与人次")), ("volunteer", N_("志愿服务")), ("wishes", N_("解决微心愿")),
    ("appointments", N_("预约服务")), ("resources", N_("资源共享")), ("news", N_("发布资讯")), ("directory", N_("便民服务事项")),
    ("issued", N_("发放积分")), ("redeemed", N_("兑换积分")),
]


def _in(column, communities):
    return column.in_(communities)


def figures(session: Session, communities: list[int], since: datetime | None = None,
            until: datetime | None = None) -> dict[str, int]:
    """The figures for a set of communities over [since, until): people and content counted
    directly (small tables), demands, claims and points from the tallies (by local day)."""
    def period(column):
        clauses = []
        if since is not None:
            clauses.append(column >= since)
        if until is not None:
            clauses.append(column < until)
        return clauses

    def count(query):
        return int(session.scalar(query) or 0)

    tally = tallies.totals(session, communities, since, until)
    return {
        "organisations": count(select(func.count(func.distinct(OrgRegistration.org_id))).where(
            _in(OrgRegistration.community_id, communities), OrgRegistration.status == RegistrationStatus.APPROVED,
            *period(OrgRegistration.created_at))),
        "members": count(select(func.count()).select_from(MemberRegistration).where(
            _in(MemberRegistration.community_id, communities), MemberRegistration.status == RegistrationStatus.APPROVED,
            *period(MemberRegistration.created_at))),
        "activities": tally.get("done:activity", 0),
        "participants": tally.get("participants", 0),
        "volunteer": tally.get("claims:volunteer", 0),
        "wishes": tally.get("done:micro_wish", 0) + tally.get("done:urgent", 0),
        "appointments": tally.get("done:appointment", 0),
        "resources": tally.get("done:resource", 0),  # a shared resource's uses (flows.workflow's `figure`)
        "news": count(select(func.count()).select_from(NewsPost).where(
            _in(NewsPost.region_id, communities), NewsPost.published_at.is_not(None), *period(NewsPost.published_at))),
        "directory": count(select(func.count()).select_from(DirectoryService).join(
            DirectoryEntry, DirectoryEntry.id == DirectoryService.entry_id).where(
            _in(DirectoryEntry.community_id, communities))),
        "issued": tally.get("issued", 0),
        "redeemed": tally.get("redeemed", 0),
    }


def by_area(session: Session, communities: list[Region], scope: list[str], since: datetime | None = None,
            until: datetime | None = None) -> list[tuple[Region, dict[str, int]]]:
    """Figures per district where the admin's `scope` (region paths) covers the whole district,
    per community elsewhere: a community admin's row names their community, not its district
    over their community's figures (the walk read 伊美区 55 where the district has 924)."""
    whole = {c.id for c in communities
             if any(p == "" or (district := _district_path(c.path)) is not None and district.startswith(p)
                    for p in scope)}
    rows = by_district(session, [c for c in communities if c.id in whole], since, until)
    return rows + [(c, figures(session, [c.id], since, until)) for c in communities if c.id not in whole]


def _district_path(path: str) -> str | None:
    """The path of the district a region lies in ('/1/2/' of '/1/2/7/9/'), None above districts."""
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[:2]) + "/" if len(parts) >= 2 else None


def by_district(session: Session, communities: list[Region], since: datetime | None = None,
                until: datetime | None = None) -> list[tuple[Region, dict[str, int]]]:
    """Figures per district within the given communities."""
    districts: dict[int, list[int]] = {}
    for c in communities:
        district = district_id(c.path)
        if district is not None:
            districts.setdefault(district, []).append(c.id)
    return [(session.get_one(Region, d), figures(session, ids, since, until)) for d, ids in districts.items()]
