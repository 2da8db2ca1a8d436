"""The compiler: the programme's workflows compile; every malformed or invalid file in the
corpus gets its own located, plain error and never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from flows.workflow.compiler import WorkflowInvalid, compile_source, content_hash, format_problem
from schemas.settings import ROOT

CORPUS = Path(__file__).parent / "corpus"

# file → (line, column or None, what the Chinese message must say)
EXPECTED = {
    "alias_bomb.yaml": (1, None, "内容过多"),
    "bad_capacity.yaml": (9, None, "取值应为 1 or demand"),
    "bad_category.yaml": (3, 1, "取值应为 micro_wish"),
    "bad_duration.yaml": (9, None, "时长格式应为 3d"),
    "bad_encoding.yaml": (3, 11, "不是 UTF-8"),
    "bad_id.yaml": (1, 1, "格式不对"),
    "bool_key.yaml": (10, 1, '请加引号，写成 "true"'),
    "cancel_without_state.yaml": (9, None, "需要一个 outcome: cancelled 的终止状态"),
    "outcome_not_terminal.yaml": (5, None, "不是终止状态，不能设置 outcome"),
    "complete_with_bad_value.yaml": (9, None, "rating: 不能大于 5"),
    "complete_with_unknown_field.yaml": (9, None, "不在“finish”的表单里"),
    "complex_key.yaml": (10, 3, "键必须是简单的文字"),
    "custom_tag.yaml": (2, 8, "不允许的 YAML 标签 !include"),
    "dead_end.yaml": (6, 3, "无法到达任何终止状态"),
    "deep_nesting.yaml": (1, None, "嵌套太深"),
    "demand_field_wrong_type.yaml": (8, None, "类型必须是 integer"),
    "duplicate_state.yaml": (6, 3, "键“open”重复（第 5 行已出现）"),
    "duplicate_top_key.yaml": (10, 1, "键“title”重复（第 2 行已出现）"),
    "effect_typo.yaml": (10, None, "效果只能是 points"),
    "empty.yaml": (1, 1, "文件是空的"),
    "evaluation_without_rating.yaml": (9, None, "rating 类型的字段"),
    "leaves_terminal.yaml": (10, None, "不能离开终止状态“done”"),
    "merge_key.yaml": (8, 5, "不支持合并键"),
    "min_above_max.yaml": (9, None, "最小值 8.0 大于最大值 2.0"),
    "missing_id.yaml": (1, 1, "缺少必填项“id”"),
    "no_start.yaml": (7, 1, "kind: start"),
    "no_terminal.yaml": (4, 1, "至少需要一个终止状态"),
    "nul_byte.yaml": (2, 1, "不是 UTF-8"),
    "one_winner_without_move.yaml": (10, None, "必须改变状态"),
    "python_tag.yaml": (2, 8, "不允许的 YAML 标签 !!python/object/apply:os.system"),
    "rating_key_out_of_range.yaml": (10, None, "不能大于 5"),
    "sla_too_long.yaml": (9, None, "1 分钟到 366 天"),
    "states_as_list.yaml": (4, 1, "应为映射"),
    "string_for_bool.yaml": (6, None, "应为是或否"),
    "syntax_unclosed.yaml": (11, 1, "方括号 [ ] 或花括号 { } 没有正确闭合"),
    "tab_indent.yaml": (5, 1, "Tab"),
    "title_too_long.yaml": (2, 1, "不能超过 64 个字"),
    "top_level_list.yaml": (1, 1, "最外层必须是映射"),
    "top_level_scalar.yaml": (1, 1, "最外层必须是映射"),
    "two_autos.yaml": (10, 3, "多个自动步骤"),
    "two_documents.yaml": (10, 1, "another document"),
    "unknown_actor.yaml": (9, None, "不认识的执行人 mayor"),
    "unknown_field_type.yaml": (9, None, "类型“colour”不存在"),
    "unknown_guard.yaml": (9, None, "取值应为 registered_in_community"),
    "unknown_state.yaml": (9, None, "不存在的状态“finished”"),
    "unknown_step_kind.yaml": (8, 3, "kind 只能是"),
    "unknown_top_field.yaml": (10, 1, "不认识的字段“versoin”"),
    "unreachable_state.yaml": (6, 3, "状态“limbo”无法到达"),
    # validator robustness (#15): answers, never tracebacks
    "sla_overflow.yaml": (9, None, "1 分钟到 366 天"),
    "sla_overflow_hours.yaml": (9, None, "1 分钟到 366 天"),
    "yes_no_choices.yaml": (15, None, '键 yes 被 YAML 读成了是/否（true）：要当作文字，请加引号，写成 "yes"'),
    "yes_as_title.yaml": (6, None, '“off”被 YAML 读成了是/否（false）'),
    # notifications (#17): a template that is not shipped, a notify that says nothing
    "notify_unknown_template.yaml": (9, None, "通知模板“wish_finished”不存在"),
    "notify_without_text.yaml": (9, None, "notify 需要 template: 或 message:"),
    # reminders and confirmations (#17): who, which template, how long before, on what
    "remind_unknown_to.yaml": (15, 26, "取值应为 requester, claimant, claimants"),
    "remind_unknown_template.yaml": (17, 37, "通知模板“shift_reminder”不存在"),
    "remind_bad_duration.yaml": (15, 14, "时长格式应为 3d、12h 或 1d12h，实际是 '1 week'"),
    "remind_too_early.yaml": (15, 14, "提前量必须在 1 分钟到 366 天之间"),
    "remind_without_start_time.yaml": (15, 5, "创建表单没有 starts_at"),
    "confirm_without_claim.yaml": (15, 5, "只能用在 claim: {holder: member} 的认领步骤上"),
    "confirm_release_late.yaml": (14, 27, "release_if_unconfirmed 必须短于 before"),
}

# Liveness (#15): each rule refused at its place, saying what to change; each file has a valid
# neighbour of the same name in corpus/ok/ that differs by the change the message asks for.
LIVENESS = {
    "start_twice.yaml": (9, 3, "只能有一个创建步骤"),
    "start_by_claimant.yaml": (8, None, "创建步骤“post”的执行人是 claimant，但创建需求时还没有这个人"),
    "claimant_before_claim.yaml": (10, None, "步骤“serve”由认领人（claimant）完成，但需求在状态“open”时还不可能有人认领"),
    "claiming_org_without_org_claim.yaml": (11, None, "还没有党组织认领过"),
    "human_beside_auto.yaml": (12, None, "人工步骤“appeal”永远轮不到"),
    "auto_cycle.yaml": (13, None, "自动步骤 check → recheck → check 会让需求在状态之间无限循环"),
    "sign_out_without_sign_in.yaml": (12, None, "还不可能有人签到"),
    "record_before_claim.yaml": (13, None, "步骤“report”记录 service，要用到执行人自己的认领"),
    "guard_contradiction.yaml": (9, None, "没有人能做"),
    "stuck_state.yaml": (6, 3, "需求到了状态“review”后，没有人能做的步骤能让它走到终止状态"),
    "capacity_zero.yaml": (15, None, "必须至少为 1"),
    "min_length_above_max.yaml": (14, None, "最短长度 80 大于最长长度 60"),
    "default_out_of_range.yaml": (15, None, "默认值 0 不在 1 到 10 之间"),
    "title_too_long_for_column.yaml": (14, None, "最长 128 个字"),
    "end_after_unknown.yaml": (15, None, "“start_at”不是"),
    "within_without_after.yaml": (15, None, "也要用 after 写明从哪个时间算起"),
}
EXPECTED.update(LIVENESS)


def test_corpus_is_complete():
    assert {p.name for p in CORPUS.glob("*.yaml")} - {"three_errors.yaml"} == set(EXPECTED)
    assert len(EXPECTED) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_has_its_message(name):
    """The first problem is at the right line (and column), in Chinese, and in English."""
    line, column, text = EXPECTED[name]
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source((CORPUS / name).read_bytes(), name)
    first = exc.value.problems[0]
    assert (first.file, first.line) == (name, line)
    if column is not None:
        assert first.column == column
    assert text in format_problem(first, "zh")
    assert format_problem(first, "en") != format_problem(first, "zh") or first.code == "yaml.syntax"


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "ok").glob("*.yaml")))
def test_each_rule_has_a_valid_neighbour(name):
    """The change the message asks for is enough: the neighbour compiles."""
    assert (CORPUS / name).exists(), f"{name} in corpus/ok has no refused twin"
    compile_source((CORPUS / "ok" / name).read_bytes(), name)


def test_every_liveness_rule_has_a_neighbour():
    assert set(LIVENESS) <= {p.name for p in (CORPUS / "ok").glob("*.yaml")}


def test_json_with_escaped_surrogate_pairs_is_the_same_workflow():
    """`json.dumps` writes 🌟 as \\ud83c\\udf1f: accepted, and the same as the real emoji."""
    import json

    import yaml

    data = yaml.safe_load((ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8"))
    data["title"] = "微心愿 🌟"
    escaped, plain = json.dumps(data), json.dumps(data, ensure_ascii=False)
    assert "\\ud83c\\udf1f" in escaped
    a, b = compile_source(escaped, "escaped.json"), compile_source(plain, "plain.json")
    assert a.spec.title == "微心愿 🌟" and a.content_hash == b.content_hash
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source(escaped.replace("\\udf1f", ""), "lone.json")
    assert "代理字符 \\ud83c" in format_problem(exc.value.problems[0])


def test_every_error_reported_at_once():
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source((CORPUS / "three_errors.yaml").read_bytes(), "three_errors.yaml")
    assert [p.line for p in exc.value.problems] == [2, 3, 9]


def test_oversized_file_refused_before_parsing():
    big = "id: x\n" + "# padding\n" * 40_000
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source(big, "big.yaml")
    assert "文件太大" in format_problem(exc.value.problems[0])


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.yaml")), ids=lambda p: p.stem)
def test_programme_workflows_compile(path):
    workflow = compile_source(path.read_text("utf-8"), str(path))
    assert workflow.spec.id == path.stem
    assert workflow.mermaid.startswith("stateDiagram-v2")
    assert len(workflow.content_hash) == 64


def test_hash_ignores_formatting_but_not_meaning():
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8")
    a = compile_source(source)
    b = compile_source("# a comment\n" + source.replace("{title: 待审核}", "{ title: 待审核 }"))
    c = compile_source(source.replace("per_hour: 2", "per_hour: 3"))
    assert a.content_hash == b.content_hash != c.content_hash


def test_compiled_workflow_is_immutable():
    workflow = compile_source((ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8"))
    with pytest.raises(ValidationError):
        workflow.spec.steps["claim"].title = "抢"  # type: ignore[misc]
    with pytest.raises(TypeError):
        workflow.inputs["serve"] = None  # type: ignore[index]
    assert content_hash(workflow.spec) == workflow.content_hash


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_no_input_gives_a_traceback(source):
    try:
        compile_source(source, "fuzz.yaml")
    except WorkflowInvalid as exc:
        assert all(p.line >= 1 and p.column >= 1 for p in exc.problems)


YAMLISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(YAMLISH)
def test_no_structure_gives_a_traceback(data):
    import yaml

    try:
        compile_source(yaml.safe_dump({"id": "x", "states": data, "steps": data}), "fuzz.yaml")
    except WorkflowInvalid:
        pass


def _paths(node, path=()):
    """Every path into a plain YAML value: the places a mutation can hit."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _replace(node, path, value):
    if not path:
        return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replace(node[path[0]], path[1:], value)
    return copy


SHIPPED = {p.stem: __import__("yaml").safe_load(p.read_text("utf-8")) for p in (ROOT / "workflows").glob("*.yaml")}
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["yes", "no", "on", "off", "0d", "1000000000d", "100000000000h", "99999999999999999999m",
                     "3d", "1m", "claimant", "claiming_org_admin", "district_admin", "org", "demand", "done",
                     "cancelled", "\ud83c\udf1f", "🌟", "", " ", "x" * 300, "auto", "start", "human", "open"]),
    st.text(max_size=12),
    st.lists(st.sampled_from(["open", "done", "review", "claimed", "nowhere"]), max_size=3),
    st.dictionaries(st.sampled_from(["title", "type", "min", "max", "default", "holder", "within", "then",
                                     "terminal", "outcome", "to", "from", "by", "kind"]),
                    st.one_of(st.integers(-5, 5), st.text(max_size=4), st.booleans()), max_size=4),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SHIPPED)), st.data())
def test_mutated_workflows_get_an_answer(name, data):
    """Any value anywhere in a real workflow, as YAML or as JSON: compiled, or refused with
    every problem located; never an exception."""
    import json

    import yaml

    spec = SHIPPED[name]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(spec))))
        spec = _replace(spec, path, data.draw(ODD))
    try:
        text = data.draw(st.sampled_from(["yaml", "json"]))
        source = yaml.safe_dump(spec, allow_unicode=True) if text == "yaml" else json.dumps(spec)
    except (ValueError, TypeError, yaml.YAMLError):
        return  # not something an editor can hold (e.g. a lone surrogate YAML cannot write)
    try:
        compile_source(source, "fuzz.yaml")
    except WorkflowInvalid as exc:
        assert exc.problems and all(p.line >= 1 and p.column >= 1 for p in exc.problems)
        assert all(format_problem(p, "en") and format_problem(p, "zh") for p in exc.problems)


def test_the_largest_workflow_allowed_is_checked():
    """50 states and 60 steps, every rule run: the liveness walk is bounded by states × the
    few situations a demand can be in (claim, organisation's claim, sign-in)."""
    lines = ["id: big", "title: 大流程", "category: activity", "states:"]
    lines += [f"  s{i}: {{title: 状态{i}}}" for i in range(49)] + ["  done: {title: 完成, terminal: true}", "steps:"]
    lines += ["  create: {kind: start, title: 创建, by: community_admin, to: s0}"]
    lines += ["  grab: {title: 抢单, by: org_admin, from: s0, to: s1, claim: {holder: org}}"]
    lines += [f"  go{i}: {{title: 下一步{i}, by: claimant, from: s{i}, to: s{i + 1}}}" for i in range(1, 48)]
    lines += ["  join: {title: 报名, by: claiming_org_member, from: [s5, s6, s7], claim: {holder: member, capacity: demand}}",
              "  sign_in: {title: 签到, by: claimant, from: [s8, s9], record: sign_in}",
              "  sign_out: {title: 签退, by: claimant, from: [s9, s10], record: sign_out}",
              "  last: {title: 完成, by: community_admin, from: s48, to: done}"]
    lines += [f"  note{i}: {{title: 记录{i}, by: claimant, from: s{i + 10}, record: service}}" for i in range(7)]
    workflow = compile_source("\n".join(lines), "big.yaml")
    assert len(workflow.spec.states) == 50 and len(workflow.spec.steps) == 60


def test_which_steps_end_a_demand_is_read_from_the_workflow():
    """A step ends a demand when nothing is left for a person after it: its target is terminal,
    or leads there through automated steps only (the portal asks before such a tap)."""
    ends = {}
    for path in sorted((ROOT / "workflows").glob("*.yaml")):
        workflow = compile_source(path.read_text("utf-8"), path.name)
        ends[workflow.id] = {name for name in workflow.spec.steps if workflow.ends(name)}
    assert ends["volunteer_item"] == {"settle", "cancel"}  # 结算积分 → 结算中 → (award) → 已结束
    assert ends["micro_wish"] == {"reject", "cancel", "evaluate"}  # claim, serve, publish go on
    assert ends["joint_activity"] == {"cancel", "evaluate"}


def test_a_start_into_a_missing_state_is_reported_there_not_as_no_start():
    """The walk: a start step's `to` misspelt was reported first as 至少需要一个 kind: start 的步骤."""
    source = (ROOT / "workflows" / "micro_wish.yaml").read_text("utf-8").replace("    to: review\n", "    to: reviewx\n", 1)
    with pytest.raises(WorkflowInvalid) as invalid:
        compile_source(source, "x.yaml")
    assert [p.code for p in invalid.value.problems] == ["wf.unknown_state"]
    assert invalid.value.problems[0].params == {"step": "post", "state": "reviewx"}


@pytest.mark.parametrize("source, line, code, words", [
    ("id: x\ntitle: 微心愿: 新\n", 2, "yaml.colon_in_value", "请给值加引号"),
    ("id: x\n title: t\n", 2, "yaml.colon_in_value", "缩进不对"),
    ("id: x\nsteps:\n  a: 1\n b: 2\n", 4, "yaml.indent", "同一列开始"),
    ("id: x\nlist:\n  - a\n - b\n", 4, "yaml.indent", "同一列开始"),
    ('id: x\ntitle: "未闭合\n', 3, "yaml.unclosed", "没有闭合"),
    ("id: x\ntitle: @home\n", 2, "yaml.bad_start", "加引号"),
    ("id: x\nguards: [a, b\n", 3, "yaml.flow_unclosed", "没有正确闭合"),
    ('id: x\ntitle: "a\\qb"\n', 2, "yaml.escape", "单引号"),
])
def test_the_parsers_common_problems_are_said_in_words_an_administrator_can_act_on(source, line, code, words):
    """PyYAML's own English (mapping values are not allowed here) is no help to a district
    administrator: the common problems are said in the catalogue's words, at their line, and
    the English page reads English."""
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source(source, "w.yaml")
    first = exc.value.problems[0]
    assert (first.line, first.code) == (line, code)
    assert words in format_problem(first, "zh")
    english = format_problem(first, "en")
    assert english != format_problem(first, "zh") and not any("\u4e00" <= ch <= "\u9fff" for ch in english)
