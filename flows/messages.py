"""The domain's user-facing sentences, in Chinese (default) and English.

The domain must not import Flask, so it cannot use Flask-Babel; codes with parameters travel
up from the domain and are rendered here, in the user's language, at the edge. One table per
area keeps each sentence next to its translation.
"""
from __future__ import annotations

from typing import Any

Catalogue = dict[str, tuple[str, str]]

YAML: Catalogue = {
    "yaml.too_large": ("文件太大：{size} 字节，上限 {limit} 字节", "file too large: {size} bytes, limit {limit}"),
    "yaml.encoding": ("文件不是 UTF-8 编码（字节 {byte}）", "file is not UTF-8 (byte {byte})"),
    "yaml.syntax": ("YAML 语法错误：{detail}", "YAML syntax error: {detail}"),
    "yaml.tab": ("YAML 不允许用 Tab 缩进，请改用空格", "YAML does not allow tabs for indentation; use spaces"),
    "yaml.empty": ("文件是空的", "the file is empty"),
    "yaml.tag": ("不允许的 YAML 标签 {tag}", "YAML tag {tag} is not allowed"),
    "yaml.merge": ("不支持合并键 <<，请把内容写全", "merge keys (<<) are not supported; write the keys out"),
    "yaml.complex_key": ("键必须是简单的文字", "keys must be plain scalars"),
    "yaml.key_type": ("键 {key} 必须是文字或整数", "key {key} must be text or an integer"),
    "yaml.duplicate_key": ("键“{key}”重复（第 {first_line} 行已出现）", "duplicate key '{key}' (first on line {first_line})"),
    "yaml.too_many_nodes": ("内容过多（超过 {limit} 个节点，可能是别名展开）", "too many nodes (over {limit}; alias expansion?)"),
    "yaml.too_deep": ("嵌套太深（超过 {limit} 层）", "nesting too deep (over {limit} levels)"),
    "yaml.not_mapping": ("工作流文件的最外层必须是映射（键: 值）", "the top level of a workflow must be a mapping"),
}

VALIDATION: Catalogue = {
    "missing": ("缺少必填项", "this field is required"),
    "missing_key": ("缺少必填项“{field}”", "required key '{field}' is missing"),
    "extra_forbidden": ("不认识的字段“{field}”", "unknown field '{field}'"),
    "literal_error": ("取值应为 {expected}", "should be {expected}"),
    "enum": ("取值应为 {expected}", "should be {expected}"),
    "union_tag_invalid": ("类型“{tag}”不存在，可选：{expected_tags}", "type '{tag}' does not exist; expected {expected_tags}"),
    "union_tag_not_found": ("缺少 {discriminator}", "{discriminator} is missing"),
    "int_type": ("应为整数", "should be an integer"),
    "int_parsing": ("应为整数", "should be an integer"),
    "int_from_float": ("应为整数", "should be an integer"),
    "float_type": ("应为数字", "should be a number"),
    "float_parsing": ("应为数字", "should be a number"),
    "string_type": ("应为文字", "should be text"),
    "bool_type": ("应为是或否（true/false）", "should be true or false"),
    "bool_parsing": ("应为是或否（true/false）", "should be true or false"),
    "dict_type": ("应为映射（键: 值）", "should be a mapping (key: value)"),
    "model_type": ("应为映射（键: 值）", "should be a mapping (key: value)"),
    "model_attributes_type": ("应为映射（键: 值）", "should be a mapping (key: value)"),
    "list_type": ("应为列表", "should be a list"),
    "greater_than_equal": ("不能小于 {ge}", "must be at least {ge}"),
    "greater_than": ("必须大于 {gt}", "must be greater than {gt}"),
    "less_than_equal": ("不能大于 {le}", "must be at most {le}"),
    "less_than": ("必须小于 {lt}", "must be less than {lt}"),
    "string_too_long": ("不能超过 {max_length} 个字", "at most {max_length} characters"),
    "string_too_short": ("至少 {min_length} 个字", "at least {min_length} characters"),
    "too_long": ("最多 {max_length} 项", "at most {max_length} items"),
    "too_short": ("至少 {min_length} 项", "at least {min_length} items"),
    "string_pattern_mismatch": ("格式不对：应为小写英文字母开头、只含小写字母数字和下划线的标识符",
                                "bad format: use a lowercase identifier (letters, digits, underscore)"),
    "datetime_parsing": ("应为日期时间，如 2026-11-25 09:00", "should be a date and time like 2026-11-25 09:00"),
    "datetime_type": ("应为日期时间，如 2026-11-25 09:00", "should be a date and time like 2026-11-25 09:00"),
    "datetime_from_date_parsing": ("应为日期时间，如 2026-11-25 09:00", "should be a date and time like 2026-11-25 09:00"),
    "date_parsing": ("应为日期，如 2026-11-25", "should be a date like 2026-11-25"),
    "date_from_datetime_parsing": ("应为日期，如 2026-11-25", "should be a date like 2026-11-25"),
    "date_type": ("应为日期，如 2026-11-25", "should be a date like 2026-11-25"),
    "finite_number": ("应为有限的数字", "should be a finite number"),
    "yijia_duration": ("时长格式应为 3d、12h 或 1d12h，实际是 {value}", "expected a duration like 3d, 12h or 1d12h, got {value}"),
    "yijia_sla_range": ("时限必须在 1 分钟到 366 天之间", "an SLA must be between 1 minute and 366 days"),
    "yijia_actor": ("不认识的执行人 {value}，可选：{expected}", "unknown actor {value}; use one of {expected}"),
    "yijia_step_kind": ("步骤类型 kind 只能是 start、human 或 auto", "kind must be start, human or auto"),
    "yijia_effect": ("效果只能是 points: {{...}} 或 notify: {{...}}", "an effect is either points: {{...}} or notify: {{...}}"),
    "yijia_choice": ("请从选项中选择：{expected}", "choose one of: {expected}"),
    "yijia_location": ("位置应为“纬度,经度”，如 47.72,128.84", "a location is 'lat,lng', e.g. 47.72,128.84"),
    "yijia_image": ("请上传图片（JPEG/PNG/WebP）", "upload an image (JPEG, PNG or WebP)"),
}

COMPILER: Catalogue = {
    "wf.unknown_state": ("步骤“{step}”引用了不存在的状态“{state}”", "step '{step}' refers to unknown state '{state}'"),
    "wf.no_start": ("至少需要一个 kind: start 的步骤来创建需求", "a workflow needs at least one step of kind: start"),
    "wf.no_terminal": ("至少需要一个终止状态（terminal: true）", "a workflow needs at least one terminal state"),
    "wf.leaves_terminal": ("步骤“{step}”不能离开终止状态“{state}”", "step '{step}' may not leave terminal state '{state}'"),
    "wf.unreachable": ("状态“{state}”无法到达", "state '{state}' cannot be reached"),
    "wf.dead_end": ("从状态“{state}”无法到达任何终止状态", "no terminal state can be reached from '{state}'"),
    "wf.start_into_terminal": ("创建步骤“{step}”不能直接进入终止状态", "start step '{step}' may not enter a terminal state"),
    "wf.auto_twice": ("状态“{state}”有多个自动步骤：{steps}", "state '{state}' has more than one auto step: {steps}"),
    "wf.one_winner_needs_move": ("“{step}”是单人认领（capacity: 1），必须改变状态", "'{step}' has one winner (capacity: 1) and must change the state"),
    "wf.evaluation_needs_rating": ("“{step}”记录评价，表单需要一个 rating 类型的字段 rating", "'{step}' records an evaluation and needs a rating field named rating"),
    "wf.assign_needs_member": ("“{step}”指派服务人员，表单需要一个 member 类型的字段 assignee", "'{step}' assigns and needs a member field named assignee"),
    "wf.booking_on_start": ("record: booking 只能用在创建步骤上", "record: booking belongs on a start step"),
    "wf.needs_claim_step": ("“{step}”需要一个认领步骤（claim）才能找到{what}", "'{step}' needs a claim step to know the {what}"),
    "wf.cancel_needs_state": ("“{step}”超时后取消，需要一个名为 cancelled 的终止状态", "'{step}' cancels on timeout and needs a terminal state named cancelled"),
    "wf.complete_with_unknown": ("超时自动完成的字段“{field}”不在“{step}”的表单里", "complete_with field '{field}' is not in the form of '{step}'"),
    "wf.complete_with_invalid": ("超时自动完成的值不合法：{detail}", "complete_with values are invalid: {detail}"),
    "wf.demand_field_type": ("字段“{field}”用于需求本身，类型必须是 {expected}", "field '{field}' fills the demand and must be of type {expected}"),
    "wf.bounds": ("最小值 {min} 大于最大值 {max}", "min {min} is greater than max {max}"),
    "wf.complete_with_needs_form": ("“{step}”的超时策略 complete_with 需要表单字段", "'{step}' complete_with needs form fields"),
}

ENGINE: Catalogue = {
    "not_found": ("找不到这条需求", "demand not found"),
    "no_step": ("这个流程没有“{step}”这一步", "this workflow has no step '{step}'"),
    "not_human": ("“{step}”由系统自动完成", "'{step}' is done by the system"),
    "role": ("您没有权限做这一步", "you are not allowed to do this step"),
    "scope": ("这不是您所在社区的需求", "this demand is not in your community"),
    "state": ("当前状态是“{state}”，不能{step}", "the demand is '{state}'; cannot {step} now"),
    "taken": ("已被认领", "already claimed"),
    "full": ("名额已满", "no places left"),
    "duplicate": ("您已经认领或报名过了", "you have already claimed or signed up"),
    "guard.registered_in_community": ("请先到该社区报到", "report in to this community first"),
    "guard.not_requester": ("不能认领自己发布的需求", "you cannot claim your own demand"),
    "guard.skills": ("需要技能：{skills}", "requires skills: {skills}"),
    "guard.no_time_clash": ("与您已认领的“{other}”时间冲突", "clashes with '{other}' you already claimed"),
    "no_claim": ("您还没有认领或报名", "you have no claim on this demand"),
    "not_signed_in": ("请先签到", "sign in first"),
    "already_signed_in": ("已经签到过了", "already signed in"),
    "already_signed_out": ("已经签退过了", "already signed out"),
    "already_evaluated": ("已经评价过了", "already evaluated"),
    "input": ("请检查填写的内容", "please check the form"),
    "community": ("请选择您所在的社区", "choose your community"),
    "task_type": ("找不到这个任务类型", "task type not found"),
    "assignee": ("被指派的人不是本社区报到的党员", "the assignee is not a member registered with this community"),
    "slot": ("这个时段已约满或不可预约", "this slot is full or not bookable"),
    "ok": ("{step}成功", "{step}: done"),
}

LEDGER: Catalogue = {
    "ledger.insufficient": ("积分不足", "not enough points"),
    "ledger.key_conflict": ("同一个幂等键“{key}”的金额不同", "idempotency key '{key}' was used with a different posting"),
    "ledger.unbalanced": ("借贷不平衡", "entries do not balance"),
    "ledger.reason_required": ("调整积分必须填写原因", "an adjustment needs a reason"),
}

SHOP: Catalogue = {
    "shop.not_found": ("找不到这件商品或订单", "item or order not found"),
    "shop.off_sale": ("这件商品已下架", "this item is not on sale"),
    "shop.out_of_stock": ("库存不足", "out of stock"),
    "shop.limit": ("超过每人限兑数量（{limit} 件）", "over the per-person limit ({limit})"),
    "shop.not_reserved": ("订单已领取、取消或过期", "the order was already picked up, cancelled or expired"),
    "shop.bad_code": ("取货码无效", "invalid pickup code"),
    "shop.retry": ("系统繁忙，请再试一次", "busy, please try again"),
}

CATALOGUE: Catalogue = {**YAML, **VALIDATION, **COMPILER, **ENGINE, **LEDGER, **SHOP}


def render(code: str, params: dict[str, Any] | None = None, locale: str = "zh") -> str:
    """The sentence for `code` in `locale` ('zh' or 'en'); unknown codes fall back to the code."""
    zh, en = CATALOGUE.get(code, (code, code))
    template = en if locale.startswith("en") else zh
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return template
