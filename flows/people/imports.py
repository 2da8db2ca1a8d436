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
from flows.core.db import in_transaction
from flows.core.i18n import N_, Message, translate
from flows.core.text import visible
from flows.people import usernames
from flows.people.accounts import NAME_RULE, USERNAME_RULE, valid_username
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
# Column headers are the Chinese the admins' workbooks carry; they are also catalogue msgids,
# so a report names each column in the reader's language.
USERNAME, NAME, PHONE_NUMBER, WORK_UNIT = N_("用户名"), N_("姓名"), N_("手机"), N_("工作单位")
ORG, HOME, SKILLS = N_("所属党组织"), N_("居住社区"), N_("技能")
ORG_NAME, DISTRICT, CONTACT, CONTACT_PHONE, PAIRED = (N_("党组织名称"), N_("所属区县"), N_("联系人"), N_("联系电话"),
                                                      N_("联系社区"))
MEMBER_COLUMNS = [USERNAME, NAME, PHONE_NUMBER, WORK_UNIT, ORG, HOME, SKILLS]
ORG_COLUMNS = [ORG_NAME, WORK_UNIT, DISTRICT, CONTACT, CONTACT_PHONE, PAIRED]
PHONE = re.compile(r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
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

    def column_in(self, locale: str | None = None) -> str:
        return translate(self.column, locale)

    def message_in(self, locale: str | None = None) -> str:
        return self.message.render(locale)

    def as_dict(self, locale: str | None = None) -> dict[str, Any]:
        return {"row": self.row, "column": self.column_in(locale), "message": self.message_in(locale)}


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
        cells = {h: ("" if v is None else visible(str(v))) for h, v in zip(header, values, strict=False)}
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

@dataclass
class MemberLookups:
    """What a member row is checked against, read once per file: the importer's communities and
    organisations, the skills, and the usernames taken (the file's own rows join as checked)."""

    communities: dict[str, Region]
    orgs: dict[str, Organisation]
    skills: dict[str, Skill]
    taken: set[str]


def member_lookups(session: Session, scope_paths: list[str], rows: list[tuple[int, dict[str, str]]]) -> MemberLookups:
    taken = usernames.taken_among(session, (c[USERNAME] for _, c in rows))
    return MemberLookups(communities=_communities(session, scope_paths), orgs=_organisations(session, scope_paths),
                         skills={s.name: s for s in session.scalars(select(Skill))}, taken=taken)


def check_member(number: int, c: dict[str, str], known: MemberLookups) -> list[RowError]:
    """Every problem of one member row (a pure function of the row and the lookups)."""
    errors: list[RowError] = []
    if not valid_username(c[USERNAME]):
        errors.append(_error(number, USERNAME, USERNAME_RULE))
    elif usernames.key(c[USERNAME]) in known.taken:  # in any case: Li.Lei is li.lei's look-alike
        errors.append(_error(number, USERNAME, "import.username_taken", name=c[USERNAME]))
    if not c[NAME] or len(c[NAME]) > 64:
        errors.append(_error(number, NAME, NAME_RULE))
    if c[PHONE_NUMBER] and not PHONE.match(c[PHONE_NUMBER]):
        errors.append(_error(number, PHONE_NUMBER, "import.phone_format", phone=c[PHONE_NUMBER]))
    if c[ORG] and c[ORG] not in known.orgs:
        errors.append(_error(number, ORG, "import.org_unknown", name=c[ORG]))
    if c[HOME] not in known.communities:
        errors.append(_error(number, HOME, "import.community_outside", name=c[HOME]))
    for name in filter(None, SKILL_SPLIT.split(c[SKILLS])):
        if name not in known.skills:
            errors.append(_error(number, SKILLS, "import.skill_unknown", name=name))
    return errors


def write_member(session: Session, c: dict[str, str], known: MemberLookups, actor_id: int, password_hash: str) -> str:
    """Create a checked member row, reported in and approved; returns the username."""
    community = known.communities[c[HOME]]
    # the first password is shown once to the importer: the member changes it at first log-in
    user = User(username=c[USERNAME], display_name=c[NAME], phone=c[PHONE_NUMBER] or None,
                password_hash=password_hash, must_change_password=True)
    user.grants = [RoleGrant(role=Role.MEMBER, region_id=community.id)]
    session.add(user)
    session.flush()
    member = Member(user_id=user.id, org_id=known.orgs[c[ORG]].id if c[ORG] else None, work_unit=c[WORK_UNIT] or None)
    member.skills = [known.skills[n] for n in filter(None, SKILL_SPLIT.split(c[SKILLS]))]
    session.add(member)
    session.flush()  # the registration's foreign key needs the member row first
    session.add(MemberRegistration(member_id=user.id, community_id=community.id,
                                   status=RegistrationStatus.APPROVED, decided_by=actor_id))
    return user.username


def import_members(session: Session, data: bytes, actor_id: int, scope_paths: list[str],
                   progress: Progress = _no_progress) -> ImportResult:
    """Members with their work unit, organisation, home community and skills."""
    rows = _rows(data, MEMBER_COLUMNS, progress)
    known = member_lookups(session, scope_paths, rows)
    errors: list[RowError] = []
    for done, (number, c) in enumerate(rows, start=1):
        errors += check_member(number, c, known)
        known.taken.add(usernames.key(c[USERNAME]))  # a name twice in the file (any case): the second is taken
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

    def write() -> ImportResult:
        result = ImportResult()
        for c, password, hashed in prepared:
            result.passwords.append((write_member(session, c, known, actor_id, hashed), password))
            result.created += 1
        audit.record(session, actor_id, "import", "members", "", None, {"rows": result.created})
        return result

    result = in_transaction(session, write)
    progress("write", len(rows), len(rows))
    return result


# ---- organisations ------------------------------------------------------------------------

@dataclass
class OrgLookups:
    """What an organisation row is checked against: the importer's communities and districts,
    and the organisation names taken (the file's own rows join as checked)."""

    communities: dict[str, Region]
    districts: dict[str, Region]
    taken: set[str]


def org_lookups(session: Session, scope_paths: list[str]) -> OrgLookups:
    return OrgLookups(communities=_communities(session, scope_paths), districts=_districts(session, scope_paths),
                      taken=set(session.scalars(select(Organisation.name))))


def check_organisation(number: int, c: dict[str, str], known: OrgLookups) -> list[RowError]:
    """Every problem of one organisation row (a pure function of the row and the lookups)."""
    errors: list[RowError] = []
    if not c[ORG_NAME] or len(c[ORG_NAME]) > 128:
        errors.append(_error(number, ORG_NAME, "import.org_name_required"))
    elif c[ORG_NAME] in known.taken:
        errors.append(_error(number, ORG_NAME, "import.org_exists", name=c[ORG_NAME]))
    if not c[WORK_UNIT]:
        errors.append(_error(number, WORK_UNIT, "import.work_unit_required"))
    district = known.districts.get(c[DISTRICT])
    if district is None:
        errors.append(_error(number, DISTRICT, "import.district_outside", name=c[DISTRICT]))
    if c[CONTACT_PHONE] and not PHONE.match(c[CONTACT_PHONE]):
        errors.append(_error(number, CONTACT_PHONE, "import.tel_format", phone=c[CONTACT_PHONE]))
    community = known.communities.get(c[PAIRED])
    if community is None:
        errors.append(_error(number, PAIRED, "import.community_outside", name=c[PAIRED]))
    elif district is not None and not community.path.startswith(district.path):
        errors.append(_error(number, PAIRED, "import.community_other_district", name=c[PAIRED],
                             district=district.name))
    return errors


def write_organisation(session: Session, c: dict[str, str], known: OrgLookups, actor_id: int) -> None:
    """Create a checked organisation, registered (approved) with its paired community."""
    org = Organisation(name=c[ORG_NAME], work_unit=c[WORK_UNIT], district_id=known.districts[c[DISTRICT]].id,
                       contact_name=c[CONTACT] or None, contact_phone=c[CONTACT_PHONE] or None)
    session.add(org)
    session.flush()
    session.add(OrgRegistration(org_id=org.id, community_id=known.communities[c[PAIRED]].id,
                                status=RegistrationStatus.APPROVED, decided_by=actor_id))


def import_organisations(session: Session, data: bytes, actor_id: int, scope_paths: list[str],
                         progress: Progress = _no_progress) -> ImportResult:
    """Organisations of the importer's districts, each registered (approved) with a community
    of theirs in the same district."""
    rows = _rows(data, ORG_COLUMNS, progress)
    known = org_lookups(session, scope_paths)
    errors: list[RowError] = []
    for done, (number, c) in enumerate(rows, start=1):
        errors += check_organisation(number, c, known)
        known.taken.add(c[ORG_NAME])  # a name twice in the file: the second exists
        if done % 200 == 0:
            progress("check", done, len(rows))
    if errors:
        raise ImportRefused(errors)
    progress("write", 0, len(rows))

    def write() -> ImportResult:
        result = ImportResult()
        for _, c in rows:
            write_organisation(session, c, known, actor_id)
            result.created += 1
        audit.record(session, actor_id, "import", "organisations", "", None, {"rows": result.created})
        return result

    result = in_transaction(session, write)
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
