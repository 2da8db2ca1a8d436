"""Message templates (#17): the shipped ones name only the demand's fields and render in both
languages; a workflow naming a template that uses an unknown field is refused at the notify,
with file, line and column."""
from __future__ import annotations

import shutil

import pytest

from flows.notices import templates as notice_templates
from flows.workflow.compiler import WorkflowInvalid, compile_source, format_problem
from schemas.settings import ROOT, get_settings

WORKFLOW = """id: mini
title: 迷你流程
category: micro_wish
states:
  open: {title: 待认领}
  done: {title: 已完成, terminal: true}
steps:
  post: {kind: start, title: 发布, by: resident, to: open}
  finish:
    title: 完成
    by: community_admin
    from: open
    to: done
    notify: {to: requester, template: wish_served}
"""


@pytest.fixture
def workflows_dir(tmp_path, monkeypatch):
    """A copy of the shipped workflows/ the test may edit, as the settings' workflows_dir."""
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    monkeypatch.setenv("YIJIA_WORKFLOWS_DIR", str(tmp_path / "workflows"))
    get_settings.cache_clear()
    yield tmp_path / "workflows"
    get_settings.cache_clear()


def test_the_shipped_templates_name_only_the_demands_fields_in_both_languages():
    shipped = notice_templates.shipped()
    assert {"wish_published", "wish_claimed", "wish_served", "wish_awarded", "activity_grabbed"} <= set(shipped)
    for name, template in shipped.items():
        assert template.fields() <= template.allowed(), name
        assert template.title.en and template.text.en, f"{name} has no English"
    title, text = notice_templates.render(shipped["activity_grabbed"], {"title": "清扫楼道", "community": "旭日社区",
                                                                        "place": "3号楼", "starts_at": "12月1日 09:00"})
    assert (title, text) == ("本组织抢到了活动：清扫楼道", "旭日社区 · 3号楼，12月1日 09:00 开始，欢迎报名参加。")
    assert notice_templates.render(shipped["wish_claimed"], {"title": "修灯"}, "en")[0] == \
        "Your wish has been taken up: 修灯"


def test_a_template_with_an_unknown_field_is_refused_where_the_workflow_names_it(workflows_dir):
    compile_source(WORKFLOW, "mini.yaml")  # the shipped template is fine
    templates = workflows_dir / "notices" / "templates.yaml"
    templates.write_text(templates.read_text("utf-8").replace("请为这次服务评价。", "请为 {volunteer_name} 评价。"),
                         "utf-8")
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source(WORKFLOW, "mini.yaml")
    (problem,) = exc.value.problems
    assert (problem.file, problem.line, problem.column, problem.code) == ("mini.yaml", 14, 29,
                                                                          "wf.notify_unknown_field")
    assert "volunteer_name" in format_problem(problem, "zh") and "volunteer_name" in format_problem(problem, "en")
    templates.write_text(templates.read_text("utf-8").replace("{volunteer_name}", "{{volunteer_name}}"), "utf-8")
    compile_source(WORKFLOW, "mini.yaml")  # a doubled brace is a literal, not a field


@pytest.mark.parametrize(("to", "column", "code", "field"), [
    ("participant", 14, "literal_error", "to"),  # one misspelt name: one sentence, about `to`
    ("[participants, nobody]", 33, "literal_error", 1),
    ("[]", 14, "too_short", "to"),
])
def test_a_notify_naming_people_wrongly_is_one_problem_where_it_is_written(to, column, code, field):
    source = (ROOT / "workflows" / "joint_activity.yaml").read_text("utf-8")
    written = "notify: {to: [participants, org_members, org_admins], template: activity_cancelled}"
    assert written in source
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source(source.replace(written, written.replace("[participants, org_members, org_admins]", to)), "joint_activity.yaml")
    (problem,) = exc.value.problems
    line = next(n for n, text in enumerate(source.splitlines(), 1) if written in text)
    assert (problem.line, problem.column, problem.code, problem.params["field"]) == (line, column, code, field)
    assert "YAML" not in format_problem(problem, "zh")


def test_several_sets_of_people_in_any_order_mean_one_thing_and_hash_alike():
    source = (ROOT / "workflows" / "joint_activity.yaml").read_text("utf-8")
    written = "to: [participants, org_members, org_admins]"
    hashes = {compile_source(source.replace(written, f"to: {other}")).content_hash
              for other in ("[participants, org_admins]", "[org_admins, participants, org_admins]")}
    assert len(hashes) == 1
    alone = {compile_source(source.replace(written, f"to: {other}")).content_hash
             for other in ("participants", "[participants]", "[participants, participants]")}
    assert len(alone) == 1 and alone != hashes
