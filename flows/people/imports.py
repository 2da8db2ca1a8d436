"""Import members and organisations from the .xlsx files administrators actually keep.

Every row is checked first; if any row is bad, nothing is imported and each bad row is
reported with its row number, column and a sentence. Otherwise all rows go in one
transaction. Imported members get a random first password, shown once to the admin.

An import stays inside the importer's region: the communities, districts and organisations a
row may name are the importer's own (a district admin cannot attach a member to another
district's organisation; a community admin cannot create an organisation in another district).
A workbook is bounded in bytes, in unzipped bytes, in rows and in cells (a 64 KB file of wide
rows once held a web worker for 27 s), counted before the spreadsheet library parses anything.
"""
from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import literal, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from flows.core import audit
from flows.core.i18n import Message
from schemas.tables import (
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
MAX_UNZIPPED = 40 * 1024 * 1024
MAX_ROWS = 10_000
MAX_CELLS = 200_000
MAX_COLUMNS = 40
MEMBER_COLUMNS = ["用户名", "姓名", "手机", "工作单位", "所属党组织", "居住社区", "技能"]
ORG_COLUMNS = ["党组织名称", "工作单位", "所属区县", "联系人", "联系电话", "联系社区"]
PHONE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
SKILL_SPLIT = re.compile(r"[、,，;；\s]+")
# First passwords are 72 random bits shown once: a secret that strong needs no slow hash to
# resist guessing, and scrypt's ≈0.3 s per member would hold a 10,000-row import for an hour.
FIRST_PASSWORD_HASH = "pbkdf2:sha256:20000"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class RowError:
    row: int
    column: str
    message: Message

    def as_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message.render(locale)}


@dataclass
class ImportResult:
    created: int = 0
    passwords: list[tuple[str, str]] = field(default_factory=list)


class ImportRefused(Exception):
    """Nothing was imported; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def _error(row: int, column: str, code: str, **params: Any) -> RowError:
    return RowError(row, column, Message(code, params))


def _no_progress(stage: str, done: int, total: int) -> None:
    """The default: nobody is watching."""


# ---- reading, bounded ---------------------------------------------------------------------

def _check_size(data: bytes) -> int:
    """Bytes, unzipped bytes and cells, counted on the raw sheet XML before any parsing;
    returns how many rows the first sheet has (header included)."""
    if len(data) > MAX_BYTES:
        raise ImportRefused([_error(0, "", "import.too_large", mb=MAX_BYTES // 1024 // 1024)])
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        sheets = [i for i in book.infolist() if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
    except (zipfile.BadZipFile, OSError):
        raise ImportRefused([_error(0, "", "import.not_xlsx")]) from None
    if not sheets:
        raise ImportRefused([_error(0, "", "import.not_xlsx")])
    if sum(i.file_size for i in book.infolist()) > MAX_UNZIPPED:
        raise ImportRefused([_error(0, "", "import.too_large", mb=MAX_BYTES // 1024 // 1024)])
    cells = rows = read = 0
    tail = b""
    with book.open(sorted(sheets, key=lambda i: i.filename)[0]) as stream:
        while chunk := stream.read(1 << 20):
            read += len(chunk)
            if read > MAX_UNZIPPED:  # the header's sizes may lie: count what comes out
                raise ImportRefused([_error(0, "", "import.too_large", mb=MAX_BYTES // 1024 // 1024)])
            text = tail + chunk
            cells += _tags(text, b"<c") - _tags(tail, b"<c")
            rows += _tags(text, b"<row") - _tags(tail, b"<row")
            tail = chunk[-4:]
            if cells > MAX_CELLS:
                raise ImportRefused([_error(0, "", "import.too_many_cells", limit=MAX_CELLS)])
    return rows


def _tags(text: bytes, name: bytes) -> int:
    """How many opening tags `name` (with attributes or without) the text holds."""
    return text.count(name + b" ") + text.count(name + b">")


def _rows(data: bytes, columns: list[str], progress: Progress) -> list[tuple[int, dict[str, str]]]:
    _check_size(data)
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:
        raise ImportRefused([_error(0, "", "import.not_xlsx")]) from None
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRefused([_error(1, c, "import.missing_column") for c in missing])
    result = []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise ImportRefused([_error(number, "", "import.too_many_rows", limit=MAX_ROWS)])
        # strict=False: a short row leaves its last cells blank
        cells = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=False)}
        if any(cells.values()):
            result.append((number, cells))
        if number % 500 == 0:
            progress("read", number, number)
    return result


def count_rows(data: bytes, columns: list[str]) -> int:
    """About how many data rows a workbook has (its row tags, less the header), counted
    without parsing it: decides whether an import runs at once or as a background job."""
    return max(_check_size(data) - 1, 0)


# ---- the importer's region ----------------------------------------------------------------

def _in(paths: list[str]):
    return or_(*[Region.path.startswith(p) for p in paths]) if paths else literal(False)


def _communities(session: Session, scope_paths: list[str]) -> dict[str, Region]:
    rows = session.scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY, _in(scope_paths)))
    return {r.name: r for r in rows}


def _districts(session: Session, scope_paths: list[str]) -> dict[str, Region]:
    """The districts the importer governs, or the one their community lies in."""
    within = [literal(p).startswith(Region.path) for p in scope_paths]
    rows = session.scalars(select(Region).where(Region.level == RegionLevel.DISTRICT, or_(_in(scope_paths), *within)))
    return {r.name: r for r in rows}


def _organisations(session: Session, scope_paths: list[str]) -> dict[str, Organisation]:
    districts = [d.id for d in _districts(session, scope_paths).values()]
    return {o.name: o for o in session.scalars(select(Organisation).where(Organisation.district_id.in_(districts)))}


# ---- members ------------------------------------------------------------------------------

def import_members(session: Session, data: bytes, actor_id: int, scope_paths: list[str],
                   progress: Progress = _no_progress) -> ImportResult:
    """Members with their work unit, organisation, home community and skills."""
    rows = _rows(data, MEMBER_COLUMNS, progress)
    communities = _communities(session, scope_paths)
    orgs = _organisations(session, scope_paths)
    skills = {s.name: s for s in session.scalars(select(Skill))}
    names = [c["用户名"] for _, c in rows]
    taken: set[str] = set()
    for start in range(0, len(names), 500):
        taken |= set(session.scalars(select(User.username).where(User.username.in_(names[start:start + 500]))))
    errors: list[RowError] = []
    seen: set[str] = set()
    for done, (number, c) in enumerate(rows, start=1):
        if not USERNAME.match(c["用户名"]):
            errors.append(_error(number, "用户名", "import.username_format"))
        elif c["用户名"] in taken or c["用户名"] in seen:
            errors.append(_error(number, "用户名", "import.username_taken", name=c["用户名"]))
        seen.add(c["用户名"])
        if not c["姓名"] or len(c["姓名"]) > 64:
            errors.append(_error(number, "姓名", "import.name_required"))
        if c["手机"] and not PHONE.match(c["手机"]):
            errors.append(_error(number, "手机", "import.phone_format", phone=c["手机"]))
        if c["所属党组织"] and c["所属党组织"] not in orgs:
            errors.append(_error(number, "所属党组织", "import.org_unknown", name=c["所属党组织"]))
        if c["居住社区"] not in communities:
            errors.append(_error(number, "居住社区", "import.community_outside", name=c["居住社区"]))
        for name in filter(None, SKILL_SPLIT.split(c["技能"])):
            if name not in skills:
                errors.append(_error(number, "技能", "import.skill_unknown", name=name))
        if done % 200 == 0:
            progress("check", done, len(rows))
    if errors:
        raise ImportRefused(errors)
    prepared = []
    for done, (_, c) in enumerate(rows, start=1):
        password = secrets.token_urlsafe(9)
        prepared.append((c, password, generate_password_hash(password, method=FIRST_PASSWORD_HASH)))
        if done % 100 == 0:
            progress("prepare", done, len(rows))
    progress("write", 0, len(rows))
    result = ImportResult()
    for c, password, hashed in prepared:
        community = communities[c["居住社区"]]
        user = User(username=c["用户名"], display_name=c["姓名"], phone=c["手机"] or None, password_hash=hashed)
        user.grants = [RoleGrant(role=Role.MEMBER, region_id=community.id)]
        session.add(user)
        session.flush()
        member = Member(user_id=user.id, org_id=orgs[c["所属党组织"]].id if c["所属党组织"] else None,
                        work_unit=c["工作单位"] or None)
        member.skills = [skills[n] for n in filter(None, SKILL_SPLIT.split(c["技能"]))]
        session.add(member)
        session.flush()  # the registration's foreign key needs the member row first
        session.add(MemberRegistration(member_id=user.id, community_id=community.id,
                                       status=RegistrationStatus.APPROVED, decided_by=actor_id))
        result.passwords.append((user.username, password))
        result.created += 1
    audit.record(session, actor_id, "import", "members", "", None, {"rows": result.created})
    session.commit()
    progress("write", len(rows), len(rows))
    return result


# ---- organisations ------------------------------------------------------------------------

def import_organisations(session: Session, data: bytes, actor_id: int, scope_paths: list[str],
                         progress: Progress = _no_progress) -> ImportResult:
    """Organisations of the importer's districts, each registered (approved) with a community
    of theirs in the same district."""
    rows = _rows(data, ORG_COLUMNS, progress)
    communities = _communities(session, scope_paths)
    districts = _districts(session, scope_paths)
    existing = set(session.scalars(select(Organisation.name)))
    errors: list[RowError] = []
    seen: set[str] = set()
    for done, (number, c) in enumerate(rows, start=1):
        if not c["党组织名称"] or len(c["党组织名称"]) > 128:
            errors.append(_error(number, "党组织名称", "import.org_name_required"))
        elif c["党组织名称"] in existing or c["党组织名称"] in seen:
            errors.append(_error(number, "党组织名称", "import.org_exists", name=c["党组织名称"]))
        seen.add(c["党组织名称"])
        if not c["工作单位"]:
            errors.append(_error(number, "工作单位", "import.work_unit_required"))
        district = districts.get(c["所属区县"])
        if district is None:
            errors.append(_error(number, "所属区县", "import.district_outside", name=c["所属区县"]))
        if c["联系电话"] and not PHONE.match(c["联系电话"]):
            errors.append(_error(number, "联系电话", "import.tel_format", phone=c["联系电话"]))
        community = communities.get(c["联系社区"])
        if community is None:
            errors.append(_error(number, "联系社区", "import.community_outside", name=c["联系社区"]))
        elif district is not None and not community.path.startswith(district.path):
            errors.append(_error(number, "联系社区", "import.community_other_district", name=c["联系社区"],
                                 district=district.name))
        if done % 200 == 0:
            progress("check", done, len(rows))
    if errors:
        raise ImportRefused(errors)
    progress("write", 0, len(rows))
    result = ImportResult()
    for _, c in rows:
        org = Organisation(name=c["党组织名称"], work_unit=c["工作单位"], district_id=districts[c["所属区县"]].id,
                           contact_name=c["联系人"] or None, contact_phone=c["联系电话"] or None)
        session.add(org)
        session.flush()
        session.add(OrgRegistration(org_id=org.id, community_id=communities[c["联系社区"]].id,
                                    status=RegistrationStatus.APPROVED, decided_by=actor_id))
        result.created += 1
    audit.record(session, actor_id, "import", "organisations", "", None, {"rows": result.created})
    session.commit()
    progress("write", len(rows), len(rows))
    return result


KINDS: dict[str, tuple[list[str], Callable[..., ImportResult]]] = {
    "members": (MEMBER_COLUMNS, import_members),
    "organisations": (ORG_COLUMNS, import_organisations),
}


def template(columns: list[str]) -> bytes:
    """An empty workbook with the expected header row, for admins to fill in."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(columns)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
