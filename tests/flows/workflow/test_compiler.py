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
    "bool_key.yaml": (10, 1, "必须是文字或整数"),
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
    "syntax_unclosed.yaml": (11, 1, "YAML 语法错误"),
    "tab_indent.yaml": (5, 1, "Tab"),
    "title_too_long.yaml": (2, 1, "不能超过 64 个字"),
    "top_level_list.yaml": (1, 1, "最外层必须是映射"),
    "top_level_scalar.yaml": (1, 1, "最外层必须是映射"),
    "two_autos.yaml": (11, 3, "多个自动步骤"),
    "two_documents.yaml": (10, 1, "another document"),
    "unknown_actor.yaml": (9, None, "不认识的执行人 mayor"),
    "unknown_field_type.yaml": (9, None, "类型“colour”不存在"),
    "unknown_guard.yaml": (9, None, "取值应为 registered_in_community"),
    "unknown_state.yaml": (9, None, "不存在的状态“finished”"),
    "unknown_step_kind.yaml": (8, 3, "kind 只能是"),
    "unknown_top_field.yaml": (10, 1, "不认识的字段“versoin”"),
    "unreachable_state.yaml": (6, 3, "状态“limbo”无法到达"),
}


def test_corpus_is_complete():
    assert {p.name for p in CORPUS.glob("*.yaml")} - {"three_errors.yaml"} == set(EXPECTED)
    assert len(EXPECTED) >= 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_has_its_message(name):
    line, column, text = EXPECTED[name]
    with pytest.raises(WorkflowInvalid) as exc:
        compile_source((CORPUS / name).read_bytes(), name)
    first = exc.value.problems[0]
    assert (first.file, first.line) == (name, line)
    if column is not None:
        assert first.column == column
    assert text in format_problem(first, "zh")
    assert format_problem(first, "en") != format_problem(first, "zh") or first.code == "yaml.syntax"


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
