"""Import members and organisations from the .xlsx files administrators actually keep.

Every row is checked first; if any row is bad, nothing is imported and each bad row is
reported with its row number, column and a sentence. Otherwise all rows go in one
transaction. Imported members get a random first password, shown once to the admin, that
they must change at their first log-in.

Checking a row (`check_member`, `check_organisation`) is apart from writing it: a check is a
pure function of the row and what the database already holds (`MemberLookups`,
`OrgLookups`, read once per file), so each rule can be read, and tested, on its own.
Column headers are the Chinese the admins' workbooks carry; they are also the catalogue's
msgids, so a report is shown in the reader's language.
"""
from __future__ import annotations

import io
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from flows.core.db import in_transaction
from flows.core.i18n import N_, Message, translate
from flows.people.accounts import NAME_RULE, USERNAME_RULE, valid_display_name, valid_username
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

USERNAME, NAME, PHONE_NUMBER, WORK_UNIT, ORG, HOME, SKILLS = (
    N_("用户名"), N_("姓名"), N_("手机"), N_("工作单位"), N_("所属党组织"), N_("居住社区"), N_("技能"))
ORG_NAME, DISTRICT, CONTACT, CONTACT_PHONE, PAIRED = (
    N_("党组织名称"), N_("所属区县"), N_("联系人"), N_("联系电话"), N_("联系社区"))
MEMBER_COLUMNS = [USERNAME, NAME, PHONE_NUMBER, WORK_UNIT, ORG, HOME, SKILLS]
ORG_COLUMNS = [ORG_NAME, WORK_UNIT, DISTRICT, CONTACT, CONTACT_PHONE, PAIRED]
PHONE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
SEPARATORS = re.compile(r"[、,，;；\s]+")

Cells = dict[str, str]  # a row's cells by (Chinese) column header


@dataclass(frozen=True)
class RowError:
    """One problem: the row's number in the workbook (1 is the header; 0 the file itself),
    the column's header (a catalogue msgid; '' for the whole row) and the sentence."""

    row: int
    column: str
    message: Message

    def column_in(self, locale: str | None) -> str:
        return translate(self.column, locale)

    def message_in(self, locale: str | None) -> str:
        return self.message.render(locale)


@dataclass
class ImportResult:
    created: int = 0
    passwords: list[tuple[str, str]] = field(default_factory=list)


class ImportRefused(Exception):
    """Nothing was imported; `errors` lists every bad row."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def read_rows(data: bytes, columns: list[str]) -> list[tuple[int, Cells]]:
    """The workbook's non-empty rows with their numbers, or ImportRefused for the file itself."""
    if len(data) > MAX_BYTES:
        raise ImportRefused([RowError(0, "", Message("import.too_large", {"limit": MAX_BYTES // 1024 // 1024}))])
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportRefused([RowError(0, "", Message("import.unreadable"))]) from None
    rows = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRefused([RowError(1, c, Message("import.missing_column")) for c in missing])
    result = []
    for number, values in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise ImportRefused([RowError(number, "", Message("import.too_many_rows", {"limit": MAX_ROWS}))])
        # strict=False: a short row leaves its last cells blank
        cells = {h: ("" if v is None else str(v).strip()) for h, v in zip(header, values, strict=False)}
        if any(cells.values()):
            result.append((number, cells))
    return result


def skill_names(cells: Cells) -> list[str]:
    """The skills a member row names, in the separators people type (、,，;； and spaces)."""
    return [name for name in SEPARATORS.split(cells[SKILLS]) if name]


# ---- members -----------------------------------------------------------------------------

@dataclass
class MemberLookups:
    """What a member row is checked against: read once per file."""

    communities: dict[str, Region]
    orgs: dict[str, Organisation]
    skills: dict[str, Skill]
    taken: set[str]  # usernames in the database, and those of the rows checked so far


def member_lookups(session: Session, scope_paths: list[str], rows: list[tuple[int, Cells]]) -> MemberLookups:
    return MemberLookups(
        communities=_communities(session, scope_paths),
        orgs={o.name: o for o in session.scalars(select(Organisation))},
        skills={s.name: s for s in session.scalars(select(Skill))},
        taken=set(session.scalars(select(User.username).where(User.username.in_([c[USERNAME] for _, c in rows])))))


def check_member(number: int, c: Cells, known: MemberLookups) -> list[RowError]:
    """Every problem of one member row (pure: reads nothing but its arguments)."""
    errors: list[RowError] = []

    def bad(column: str, code: str, **params: object) -> None:
        errors.append(RowError(number, column, Message(code, dict(params))))

    if not valid_username(c[USERNAME]):
        errors.append(RowError(number, USERNAME, Message(USERNAME_RULE)))
    elif c[USERNAME] in known.taken:
        bad(USERNAME, "import.username_taken", username=c[USERNAME])
    if not valid_display_name(c[NAME]):
        errors.append(RowError(number, NAME, Message(NAME_RULE)))
    if c[PHONE_NUMBER] and not PHONE.match(c[PHONE_NUMBER]):
        bad(PHONE_NUMBER, "import.mobile", value=c[PHONE_NUMBER])
    if c[ORG] and c[ORG] not in known.orgs:
        bad(ORG, "import.no_org", name=c[ORG])
    if c[HOME] not in known.communities:
        bad(HOME, "import.outside_scope", name=c[HOME])
    for name in skill_names(c):
        if name not in known.skills:
            bad(SKILLS, "import.no_skill", name=name)
    return errors


def write_member(session: Session, c: Cells, known: MemberLookups, actor_id: int) -> tuple[str, str]:
    """Create a checked member row, reported in and approved; returns (username, first password)."""
    password = secrets.token_urlsafe(8)
    community = known.communities[c[HOME]]
    user = User(username=c[USERNAME], display_name=c[NAME], phone=c[PHONE_NUMBER] or None,
                password_hash=generate_password_hash(password), must_change_password=True)
    user.grants = [RoleGrant(role=Role.MEMBER, region_id=community.id)]
    session.add(user)
    session.flush()
    member = Member(user_id=user.id, org_id=known.orgs[c[ORG]].id if c[ORG] else None, work_unit=c[WORK_UNIT] or None)
    member.skills = [known.skills[n] for n in skill_names(c)]
    session.add(member)
    session.flush()  # the registration's foreign key needs the member row first
    session.add(MemberRegistration(member_id=user.id, community_id=community.id,
                                   status=RegistrationStatus.APPROVED, decided_by=actor_id))
    return user.username, password


# ---- organisations -----------------------------------------------------------------------

@dataclass
class OrgLookups:
    """What an organisation row is checked against: read once per file."""

    communities: dict[str, Region]
    districts: dict[str, Region]
    taken: set[str]  # organisation names in the database, and those of the rows checked so far


def org_lookups(session: Session, scope_paths: list[str], rows: list[tuple[int, Cells]]) -> OrgLookups:
    return OrgLookups(
        communities=_communities(session, scope_paths),
        districts={r.name: r for r in session.scalars(select(Region).where(Region.level == RegionLevel.DISTRICT))},
        taken=set(session.scalars(select(Organisation.name))))


def check_organisation(number: int, c: Cells, known: OrgLookups) -> list[RowError]:
    """Every problem of one organisation row (pure: reads nothing but its arguments)."""
    errors: list[RowError] = []

    def bad(column: str, code: str, **params: object) -> None:
        errors.append(RowError(number, column, Message(code, dict(params))))

    if not c[ORG_NAME] or len(c[ORG_NAME]) > 128:
        bad(ORG_NAME, "import.org_name")
    elif c[ORG_NAME] in known.taken:
        bad(ORG_NAME, "import.org_taken", name=c[ORG_NAME])
    if not c[WORK_UNIT]:
        bad(WORK_UNIT, "import.work_unit")
    if c[DISTRICT] not in known.districts:
        bad(DISTRICT, "import.no_district", name=c[DISTRICT])
    if c[CONTACT_PHONE] and not PHONE.match(c[CONTACT_PHONE]):
        bad(CONTACT_PHONE, "import.phone", value=c[CONTACT_PHONE])
    if c[PAIRED] not in known.communities:
        bad(PAIRED, "import.outside_scope", name=c[PAIRED])
    return errors


def write_organisation(session: Session, c: Cells, known: OrgLookups, actor_id: int) -> None:
    """Create a checked organisation, registered with its paired community and approved."""
    org = Organisation(name=c[ORG_NAME], work_unit=c[WORK_UNIT], district_id=known.districts[c[DISTRICT]].id,
                       contact_name=c[CONTACT] or None, contact_phone=c[CONTACT_PHONE] or None)
    session.add(org)
    session.flush()
    session.add(OrgRegistration(org_id=org.id, community_id=known.communities[c[PAIRED]].id,
                                status=RegistrationStatus.APPROVED, decided_by=actor_id))


# ---- the one way in ----------------------------------------------------------------------

Lookups = TypeVar("Lookups", MemberLookups, OrgLookups)


@dataclass(frozen=True)
class Kind(Generic[Lookups]):
    """What one kind of import reads, checks and writes."""

    table: str
    columns: list[str]
    key: str  # the column that must be new: in the database and within the file
    lookups: Callable[[Session, list[str], list[tuple[int, Cells]]], Lookups]
    check: Callable[[int, Cells, Lookups], list[RowError]]
    write: Callable[[Session, Cells, Lookups, int], tuple[str, str] | None]


MEMBERS = Kind("members", MEMBER_COLUMNS, USERNAME, member_lookups, check_member, write_member)
ORGANISATIONS = Kind("organisations", ORG_COLUMNS, ORG_NAME, org_lookups, check_organisation, write_organisation)


def check_rows(kind: Kind[Lookups], rows: Iterable[tuple[int, Cells]], known: Lookups) -> list[RowError]:
    """Every problem of every row; a key seen in an earlier row counts as taken."""
    errors: list[RowError] = []
    for number, cells in rows:
        errors += kind.check(number, cells, known)
        known.taken.add(cells[kind.key])
    return errors


def run(session: Session, kind: Kind[Lookups], data: bytes, actor_id: int, scope_paths: list[str]) -> ImportResult:
    """Check every row; if all are good, write them all in one transaction (else write nothing)."""
    rows = read_rows(data, kind.columns)
    known = kind.lookups(session, scope_paths, rows)
    errors = check_rows(kind, rows, known)
    if errors:
        raise ImportRefused(errors)

    def work() -> ImportResult:
        result = ImportResult()
        for _, cells in rows:
            password = kind.write(session, cells, known, actor_id)
            if password is not None:
                result.passwords.append(password)
            result.created += 1
        session.add(AuditLog(actor_id=actor_id, action="import", table_name=kind.table, after={"rows": result.created}))
        return result

    return in_transaction(session, work)


def import_members(session: Session, data: bytes, actor_id: int, scope_paths: list[str]) -> ImportResult:
    """Members with their work unit, organisation, home community and skills."""
    return run(session, MEMBERS, data, actor_id, scope_paths)


def import_organisations(session: Session, data: bytes, actor_id: int, scope_paths: list[str]) -> ImportResult:
    """Organisations with their district and paired community (registered and approved)."""
    return run(session, ORGANISATIONS, data, actor_id, scope_paths)


def _communities(session: Session, scope_paths: list[str]) -> dict[str, Region]:
    rows = session.scalars(select(Region).where(Region.level == RegionLevel.COMMUNITY))
    return {r.name: r for r in rows if any(r.path.startswith(p) for p in scope_paths)}


def template(columns: list[str]) -> bytes:
    """An empty workbook with the expected header row, for admins to fill in."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.append(columns)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
