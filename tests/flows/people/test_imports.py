"""Member and organisation imports: each row's check on its own (pure), then the whole file
written all or nothing, with every problem in the reader's language."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from flows.people import imports
from flows.people.imports import (
    HOME,
    MEMBER_COLUMNS,
    NAME,
    ORG,
    PHONE_NUMBER,
    SKILLS,
    USERNAME,
    MemberLookups,
    check_member,
)
from schemas.tables import AuditLog, Member, Organisation, Region, RegionLevel, Skill, User
from tests.world import build_world


def _known() -> MemberLookups:
    return MemberLookups(communities={"旭日社区": Region(name="旭日社区", level=RegionLevel.COMMUNITY)},
                         orgs={"财政局党支部": Organisation(name="财政局党支部")},
                         skills={"水电维修": Skill(code="repair", name="水电维修")}, taken={"zhang3"})


def _row(**cells: str) -> dict[str, str]:
    base = dict.fromkeys(MEMBER_COLUMNS, "")
    base.update({USERNAME: "li4", NAME: "李四", HOME: "旭日社区"})
    base.update(cells)
    return base


def test_a_good_member_row_has_no_problem():
    assert check_member(2, _row(**{ORG: "财政局党支部", SKILLS: "水电维修", PHONE_NUMBER: "13845800001"}), _known()) == []


@pytest.mark.parametrize(("cells", "column", "code"), [
    ({USERNAME: "li si"}, USERNAME, "用户名只能用 3–32 位字母或数字（也可以有 _ . -），不能有汉字或空格：可以用姓名拼音或手机号"),
    ({USERNAME: "zhang3"}, USERNAME, "import.username_taken"),
    ({NAME: ""}, NAME, "请填写姓名（最多 64 字）"),
    ({PHONE_NUMBER: "123"}, PHONE_NUMBER, "import.phone_format"),
    ({ORG: "不存在的支部"}, ORG, "import.org_unknown"),
    ({HOME: "站前社区"}, HOME, "import.community_outside"),
    ({SKILLS: "水电维修、飞行"}, SKILLS, "import.skill_unknown"),
])
def test_each_member_rule_names_its_column(cells, column, code):
    [error] = check_member(7, _row(**cells), _known())
    assert (error.row, error.column, error.message.code) == (7, column, code)


def test_problems_read_in_english_column_and_sentence():
    [error] = check_member(3, _row(**{PHONE_NUMBER: "123"}), _known())
    assert error.column_in("zh") == "手机" and error.message_in("zh") == "手机号码格式不对：123"
    assert error.column_in("en") == "Mobile" and error.message_in("en") == "Not a mobile number: 123"
    [name] = check_member(3, _row(**{USERNAME: "x"}), _known())
    assert name.message_in("en").startswith("A user name has 3–32")


def _xlsx(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_one_bad_row_imports_nothing_and_a_name_twice_in_the_file_is_caught(factory):
    world = build_world(factory)
    good = ["wang5", "王五", "", "", "财政局党支部", "旭日社区", ""]
    with factory() as s:
        paths = [s.get(Region, world["d1"]).path]
        with pytest.raises(imports.ImportRefused) as refused:
            imports.import_members(s, _xlsx(MEMBER_COLUMNS, [good, good]), world["dadm1"], paths)
        assert [(e.row, e.message.code) for e in refused.value.errors] == [(3, "import.username_taken")]
        assert s.scalar(select(func.count()).select_from(User).where(User.username == "wang5")) == 0
        result = imports.import_members(s, _xlsx(MEMBER_COLUMNS, [good]), world["dadm1"], paths)
    assert result.created == 1 and [u for u, _ in result.passwords] == ["wang5"]
    with factory() as s:
        member = s.scalar(select(Member).join(User, User.id == Member.user_id).where(User.username == "wang5"))
        assert member is not None and member.org_id == world["org1"]
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")) == 1


def test_a_name_in_another_case_is_taken_in_the_database_and_in_the_file(factory):
    """Look-alikes of an account (MEM1 for mem1) and of an earlier row (Wang5 after wang5)."""
    world = build_world(factory)
    rows = [["MEM1", "王五", "", "", "", "旭日社区", ""], ["wang5", "王五", "", "", "", "旭日社区", ""],
            ["Wang5", "王五", "", "", "", "旭日社区", ""]]
    with factory() as s:
        paths = [s.get(Region, world["d1"]).path]
        with pytest.raises(imports.ImportRefused) as refused:
            imports.import_members(s, _xlsx(MEMBER_COLUMNS, rows), world["dadm1"], paths)
    assert [(e.row, e.message.code) for e in refused.value.errors] == [(2, "import.username_taken"),
                                                                        (4, "import.username_taken")]


def test_the_file_itself_is_refused_in_plain_words(factory):
    with factory() as s, pytest.raises(imports.ImportRefused) as refused:
        imports.import_organisations(s, b"not a workbook", 1, ["/1/"])
    [error] = refused.value.errors
    assert error.row == 0 and "Excel" in error.message_in("en")
    with factory() as s, pytest.raises(imports.ImportRefused) as refused:
        imports.import_organisations(s, _xlsx(["党组织名称"], []), 1, ["/1/"])
    assert {e.column_in("en") for e in refused.value.errors} == {
        "Work unit", "District", "Contact", "Contact phone", "Paired community"}
