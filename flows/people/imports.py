"""Import members and organisations from the .xlsx files administrators actually keep.

Every row is checked first; if any row is bad, nothing is imported and each bad row is
reported with its row number, column and a sentence. Otherwise all rows go in one
transaction. Imported members get a random first password, shown once to the admin, that
they must change at their first log-in.
"""
from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass, field

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from schemas.tables import (
    AuditLog,
    Member,
    MemberRegistration,
    Organisation,
    OrgRegistration,
    Region,
    RegionLevel,
    RegistrationStatus,
    Role,
    RoleGrant,
    Skill,
    User,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MEMBER_COLUMNS = ["用户名", "姓名", "手机", "工作单位", "所属党组织", "居住社区", "技能"]
ORG_COLUMNS = ["党组织名称", "工作单位", "所属区县", "联系人", "联系电话", "联系社区"]
PHONE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    passwords: list[tuple[str, str]] = field(default_factory=list)


class ImportRefused(Exception):
    """Nothing was imported; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def _rows(data: bytes, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    if len(data) > MAX_BYTES:
        raise ImportRefused([RowError(0, "", f"文件太大（上限 {MAX_BYTES // 1024 // 1024} MB）")])
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:
        raise ImportRefused([RowError(0, "", "无法读取：请上传 Excel (.xlsx) 文件")]) from None
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRefused([RowError(1, c, "缺少这一列") for c in missing])
    result = []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise ImportRefused([RowError(number, "", f"行数超过上限 {MAX_ROWS}")])
        # strict=False: a short row leaves its last cells blank
        cells = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=False)}
        if any(cells.values()):
            result.append((number, cells))
    return result


def _communities(session: Session, scope_paths: list[str]) -> dict[str, Region]:
    rows = session.scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY))
    return {r.name: r for r in rows if any(r.path.startswith(p) for p in scope_paths)}


def import_members(session: Session, data: bytes, actor_id: int, scope_paths: list[str]) -> ImportResult:
    """Members with their work unit, organisation, home community and skills."""
    rows = _rows(data, MEMBER_COLUMNS)
    communities = _communities(session, scope_paths)
    orgs = {o.name: o for o in session.scalars(select(Organisation))}
    skills = {s.name: s for s in session.scalars(select(Skill))}
    taken = set(session.scalars(select(User.username).where(User.username.in_([c["用户名"] for _, c in rows]))))
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, c in rows:
        if not USERNAME.match(c["用户名"]):
            errors.append(RowError(number, "用户名", "应为 3–32 位字母、数字或下划线"))
        elif c["用户名"] in taken or c["用户名"] in seen:
            errors.append(RowError(number, "用户名", f"用户名 {c['用户名']} 已存在"))
        seen.add(c["用户名"])
        if not c["姓名"] or len(c["姓名"]) > 64:
            errors.append(RowError(number, "姓名", "请填写姓名（最多 64 字）"))
        if c["手机"] and not PHONE.match(c["手机"]):
            errors.append(RowError(number, "手机", f"手机号码格式不对：{c['手机']}"))
        if c["所属党组织"] and c["所属党组织"] not in orgs:
            errors.append(RowError(number, "所属党组织", f"找不到党组织“{c['所属党组织']}”"))
        if c["居住社区"] not in communities:
            errors.append(RowError(number, "居住社区", f"“{c['居住社区']}”不是您管辖范围内的社区"))
        for name in filter(None, re.split(r"[、,，;；\s]+", c["技能"])):
            if name not in skills:
                errors.append(RowError(number, "技能", f"不认识的技能“{name}”"))
    if errors:
        raise ImportRefused(errors)
    result = ImportResult()
    for _, c in rows:
        password = secrets.token_urlsafe(8)
        community = communities[c["居住社区"]]
        user = User(username=c["用户名"], display_name=c["姓名"], phone=c["手机"] or None,
                    password_hash=generate_password_hash(password), must_change_password=True)
        user.grants = [RoleGrant(role=Role.MEMBER, region_id=community.id)]
        session.add(user)
        session.flush()
        member = Member(user_id=user.id, org_id=orgs[c["所属党组织"]].id if c["所属党组织"] else None,
                        work_unit=c["工作单位"] or None)
        member.skills = [skills[n] for n in filter(None, re.split(r"[、,，;；\s]+", c["技能"]))]
        session.add(member)
        session.flush()  # the registration's foreign key needs the member row first
        session.add(MemberRegistration(member_id=user.id, community_id=community.id,
                                       status=RegistrationStatus.APPROVED, decided_by=actor_id))
        result.passwords.append((user.username, password))
        result.created += 1
    session.add(AuditLog(actor_id=actor_id, action="import", table_name="members", after={"rows": result.created}))
    session.commit()
    return result


def import_organisations(session: Session, data: bytes, actor_id: int, scope_paths: list[str]) -> ImportResult:
    """Organisations with their district and paired community (registered and approved)."""
    rows = _rows(data, ORG_COLUMNS)
    communities = _communities(session, scope_paths)
    districts = {r.name: r for r in session.scalars(select(Region).where(Region.level == RegionLevel.DISTRICT))}
    existing = set(session.scalars(select(Organisation.name)))
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, c in rows:
        if not c["党组织名称"] or len(c["党组织名称"]) > 128:
            errors.append(RowError(number, "党组织名称", "请填写名称（最多 128 字）"))
        elif c["党组织名称"] in existing or c["党组织名称"] in seen:
            errors.append(RowError(number, "党组织名称", f"“{c['党组织名称']}”已存在"))
        seen.add(c["党组织名称"])
        if not c["工作单位"]:
            errors.append(RowError(number, "工作单位", "请填写工作单位"))
        if c["所属区县"] not in districts:
            errors.append(RowError(number, "所属区县", f"找不到区县“{c['所属区县']}”"))
        if c["联系电话"] and not PHONE.match(c["联系电话"]):
            errors.append(RowError(number, "联系电话", f"电话格式不对：{c['联系电话']}"))
        if c["联系社区"] not in communities:
            errors.append(RowError(number, "联系社区", f"“{c['联系社区']}”不是您管辖范围内的社区"))
    if errors:
        raise ImportRefused(errors)
    result = ImportResult()
    for _, c in rows:
        org = Organisation(name=c["党组织名称"], work_unit=c["工作单位"], district_id=districts[c["所属区县"]].id,
                           contact_name=c["联系人"] or None, contact_phone=c["联系电话"] or None)
        session.add(org)
        session.flush()
        session.add(OrgRegistration(org_id=org.id, community_id=communities[c["联系社区"]].id,
                                    status=RegistrationStatus.APPROVED, decided_by=actor_id))
        result.created += 1
    session.add(AuditLog(actor_id=actor_id, action="import", table_name="organisations", after={"rows": result.created}))
    session.commit()
    return result


def template(columns: list[str]) -> bytes:
    """An empty workbook with the expected header row, for admins to fill in."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(columns)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
