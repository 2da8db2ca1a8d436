"""Every sentence the domain can say, by code: Chinese, the source language, marked for the
one gettext catalogue (flows/core/translations). English lives in that catalogue, beside the
web pages' and the console's own strings, so nothing is Chinese-only by accident.

Codes with parameters travel up from the domain (a refusal, a compiler problem) and are
rendered at the edge in the user's language by `flows.core.i18n.render`.
"""
from __future__ import annotations

from flows.core.i18n import N_

YAML: dict[str, str] = {
    'yaml.too_large': N_('文件太大：{size} 字节，上限 {limit} 字节'),
    'yaml.encoding': N_('文件不是 UTF-8 编码（字节 {byte}）'),
    'yaml.syntax': N_('YAML 语法错误：{detail}'),
    'yaml.tab': N_('YAML 不允许用 Tab 缩进，请改用空格'),
    # the parser's most common problems, said in words an administrator can act on (safe_yaml.SAID)
    'yaml.colon_in_value': N_('这里不能再出现“键: 值”：多半是这一行或上一行的缩进不对；如果值里本来就有冒号，请给值加引号'),
    'yaml.no_colon': N_('缺少冒号：每个键后面要写“: ”（冒号加空格）'),
    'yaml.indent': N_('缩进没有对齐：同一层的键要从同一列开始（只用空格）'),
    'yaml.list_indent': N_('列表项没有对齐：同一列表的每一项都以“- ”开头，并从同一列开始'),
    'yaml.unclosed': N_('文件意外结束：有引号或括号没有闭合'),
    'yaml.bad_start': N_('这个字符不能作为值的开头（如 @、`、%）：请给这个值加引号'),
    'yaml.flow_unclosed': N_('方括号 [ ] 或花括号 { } 没有正确闭合，或里面少了逗号'),
    'yaml.escape': N_('双引号里的反斜杠 \\ 用法不对：请改用单引号，或写成 \\\\'),
    'yaml.empty': N_('文件是空的'),
    'yaml.tag': N_('不允许的 YAML 标签 {tag}'),
    'yaml.merge': N_('不支持合并键 <<，请把内容写全'),
    'yaml.complex_key': N_('键必须是简单的文字'),
    'yaml.key_type': N_('键 {key} 必须是文字或整数'),
    'yaml.bool_key': N_('键 {text} 被 YAML 读成了是/否（{key}）：要当作文字，请加引号，写成 "{text}"'),
    'yaml.bool_value': N_('“{text}”被 YAML 读成了是/否（{value}）：要当作文字，请加引号，写成 "{text}"'),
    'yaml.surrogate': N_('文字里有无效的 Unicode 转义（单独的代理字符 {char}）'),
    'yaml.duplicate_key': N_('键“{key}”重复（第 {first_line} 行已出现）'),
    'yaml.too_many_nodes': N_('内容过多（超过 {limit} 个节点，可能是别名展开）'),
    'yaml.too_deep': N_('嵌套太深（超过 {limit} 层）'),
    'yaml.not_mapping': N_('工作流文件的最外层必须是映射（键: 值）'),
}


VALIDATION: dict[str, str] = {
    'missing': N_('缺少必填项'),
    'missing_key': N_('缺少必填项“{field}”'),
    'extra_forbidden': N_('不认识的字段“{field}”'),
    'literal_error': N_('取值应为 {expected}'),
    'enum': N_('取值应为 {expected}'),
    'union_tag_invalid': N_('类型“{tag}”不存在，可选：{expected_tags}'),
    'union_tag_not_found': N_('缺少 {discriminator}'),
    'int_type': N_('应为整数'),
    'int_parsing': N_('应为整数'),
    'int_from_float': N_('应为整数'),
    'float_type': N_('应为数字'),
    'float_parsing': N_('应为数字'),
    'string_type': N_('应为文字'),
    'bool_type': N_('应为是或否（true/false）'),
    'bool_parsing': N_('应为是或否（true/false）'),
    'dict_type': N_('应为映射（键: 值）'),
    'model_type': N_('应为映射（键: 值）'),
    'model_attributes_type': N_('应为映射（键: 值）'),
    'list_type': N_('应为列表'),
    'greater_than_equal': N_('不能小于 {ge}'),
    'greater_than': N_('必须大于 {gt}'),
    'less_than_equal': N_('不能大于 {le}'),
    'less_than': N_('必须小于 {lt}'),
    'string_too_long': N_('不能超过 {max_length} 个字'),
    'string_too_short': N_('至少 {min_length} 个字'),
    'too_long': N_('最多 {max_length} 项'),
    'too_short': N_('至少 {min_length} 项'),
    'string_pattern_mismatch': N_('格式不对：应为小写英文字母开头、只含小写字母数字和下划线的标识符'),
    'datetime_parsing': N_('应为日期时间，如 2026-11-25 09:00'),
    'datetime_type': N_('应为日期时间，如 2026-11-25 09:00'),
    'datetime_from_date_parsing': N_('应为日期时间，如 2026-11-25 09:00'),
    'date_parsing': N_('应为日期，如 2026-11-25'),
    'date_from_datetime_parsing': N_('应为日期，如 2026-11-25'),
    'date_type': N_('应为日期，如 2026-11-25'),
    'finite_number': N_('应为有限的数字'),
    'invalid': N_('填写的内容不对：{detail}'),
    'yijia_duration': N_('时长格式应为 3d、12h 或 1d12h，实际是 {value}'),
    'yijia_sla_range': N_('时限必须在 1 分钟到 366 天之间'),
    'yijia_window_range': N_('时间窗口必须在 0 到 366 天之间'),
    'yijia_before_range': N_('提前量必须在 1 分钟到 366 天之间'),
    'yijia_notify_text': N_('notify 需要 template: 或 message: 其中之一'),
    'yijia_actor': N_('不认识的执行人 {value}，可选：{expected}'),
    'yijia_step_kind': N_('步骤类型 kind 只能是 start、human 或 auto'),
    'yijia_effect': N_('效果只能是 points: {{...}} 或 notify: {{...}}'),
    'yijia_choice': N_('请从选项中选择：{expected}'),
    'yijia_location': N_('位置应为“纬度,经度”，如 47.72,128.84'),
    'yijia_image': N_('请上传图片（JPEG/PNG/WebP）'),
}


COMPILER: dict[str, str] = {
    'wf.translation_unknown': N_('en 里的 {what}.{name} 在流程里不存在：只能翻译流程自己的状态、步骤、字段和选项'),
    'wf.unknown_state': N_('步骤“{step}”引用了不存在的状态“{state}”'),
    'wf.no_start': N_('至少需要一个 kind: start 的步骤来创建需求'),
    'wf.no_terminal': N_('至少需要一个终止状态（terminal: true）'),
    'wf.leaves_terminal': N_('步骤“{step}”不能离开终止状态“{state}”'),
    'wf.unreachable': N_('状态“{state}”无法到达'),
    'wf.dead_end': N_('从状态“{state}”无法到达任何终止状态'),
    'wf.start_into_terminal': N_('创建步骤“{step}”不能直接进入终止状态'),
    'wf.auto_twice': N_('状态“{state}”有多个自动步骤：{steps}'),
    'wf.one_winner_needs_move': N_('“{step}”是单人认领（capacity: 1），必须改变状态'),
    'wf.evaluation_needs_rating': N_('“{step}”记录评价，表单需要一个 rating 类型的字段 rating'),
    'wf.assign_needs_member': N_('“{step}”指派服务人员，表单需要一个 member 类型的字段 assignee'),
    'wf.booking_on_start': N_('record: booking 只能用在创建步骤上'),
    'wf.after_field': N_('“{field}”的 after 应为同一表单里另一个 datetime 类型的字段，“{after}”不是'),
    'wf.within_needs_after': N_('“{field}”写了 within，也要用 after 写明从哪个时间算起'),
    'wf.resource_booking_times': N_('“{step}”预约资源的时间段，表单需要 datetime 类型的字段 starts_at 和 ends_at'),
    'wf.needs_claim_step': N_('“{step}”需要一个认领步骤（claim）才能找到{what}'),
    'wf.outcome_not_terminal': N_('状态“{state}”不是终止状态，不能设置 outcome'),
    'wf.cancel_needs_state': N_('“{step}”超时后取消，需要一个 outcome: cancelled 的终止状态'),
    'wf.notify_unknown_template': N_('步骤“{step}”的通知模板“{template}”不存在（见 workflows/notices/templates.yaml）'),
    'wf.notify_unknown_field': N_('通知模板“{template}”用了需求没有的字段“{field}”（步骤“{step}”）'),
    'wf.time_guard_needs_time': N_('步骤“{step}”的条件 {guard} 看需求的时间，但创建表单没有 starts_at（开始时间）字段，'
                                   '也不是预约时段：这个条件永远不起作用'),
    'wf.remind_needs_start': N_('步骤“{step}”的 {key} 从开始时间往前算，但创建表单没有 starts_at（开始时间）字段'),
    'wf.confirm_needs_claim': N_('步骤“{step}”的 confirm 要确认个人的名额，只能用在 claim: {{holder: member}} 的认领步骤上'),
    'wf.give_up_by': N_('步骤“{step}”放弃的是抢单组织自己的认领：by 只能是 claiming_org_admin（抢单组织的管理员）'),
    'wf.give_up_reopens': N_('步骤“{step}”放弃抢单后，需求要回到可以再抢单的状态：to 必须是某个 claim: {{holder: org}} 抢单步骤的 from'),
    'wf.released_without_release': N_('步骤“{step}”通知 released（被释放名额的人），但它没有释放名额：只有 record: give_up 的步骤有这些人'),
    'wf.confirm_release_late': N_('步骤“{step}”的 release_if_unconfirmed 必须短于 before，名额要在开始前释放'),
    'wf.complete_with_unknown': N_('超时自动完成的字段“{field}”不在“{step}”的表单里'),
    'wf.complete_with_invalid': N_('超时自动完成的值不合法：{detail}'),
    'wf.demand_field_type': N_('字段“{field}”用于需求本身，类型必须是 {expected}'),
    'wf.bounds': N_('最小值 {min} 大于最大值 {max}：请调小 min 或调大 max'),
    # the city's point bounds (flows/workflow/checks/points.py), checked when a version is published
    'wf.points_base_bound': N_('固定积分 {value} 超过了市里设定的基础积分上限 {limit}'),
    'wf.points_per_hour_bound': N_('每小时积分 {value} 超过了市里设定的上限 {limit}'),
    'wf.points_factor_bound': N_('{rating} 星的评分倍数 {value} 超过了市里设定的上限 {limit}'),
    'wf.hours_bound': N_('“{step}”的服务时长（hours）要写明 max，且不能超过 {limit} 小时（更长的服务请按天记录）'),
    # liveness: a workflow that validates can run (flows/workflow/checks/liveness.py)
    'wf.start_twice': N_('只能有一个创建步骤（kind: start），“{step}”永远不会被用到（门户总是用“{first}”创建）：'
                         '请删掉它，或把它拆成另一个工作流'),
    'wf.start_by_relation': N_('创建步骤“{step}”的执行人是 {relation}，但创建需求时还没有这个人：'
                               '请改为 resident、member、registered_member、org_admin 或 community_admin'),
    'wf.guard_contradiction': N_('步骤“{step}”由发布人自己完成，却又要求 not_requester（不能是发布人），没有人能做：'
                                 '请去掉这个条件或换执行人'),
    'wf.human_beside_auto': N_('状态“{state}”有自动步骤“{auto}”，需求一到就会离开，人工步骤“{step}”永远轮不到：'
                               '请让“{step}”从别的状态出发，或删掉自动步骤'),
    'wf.auto_cycle': N_('自动步骤 {steps} 会让需求在状态之间无限循环：请把其中一步改为人工步骤，或让它走向终止状态'),
    'wf.claimant_before_claim': N_('步骤“{step}”由认领人（claimant）完成，但需求在状态“{state}”时还不可能有人认领：'
                                   '请先安排一个认领步骤（claim 或 record: assign），或换执行人'),
    'wf.record_before_claim': N_('步骤“{step}”记录 {record}，要用到执行人自己的认领，但需求在状态“{state}”时还不可能有人认领：'
                                 '请先安排一个认领步骤（claim 或 record: assign）'),
    'wf.org_before_org_claim': N_('步骤“{step}”由抢单的党组织一方完成，但需求在状态“{state}”时还没有党组织认领过：'
                                  '请先加一个 claim: {{holder: org}} 的步骤，或换执行人'),
    'wf.sign_out_before_sign_in': N_('步骤“{step}”记录签退，但需求在状态“{state}”时还不可能有人签到：'
                                     '请在它之前或同一状态加一个 record: sign_in 的步骤'),
    'wf.stuck_state': N_('需求到了状态“{state}”后，没有人能做的步骤能让它走到终止状态（从这里出发的步骤：{steps}）：'
                         '请检查这些步骤的执行人，或加一个离开该状态的步骤'),
    'wf.length_bounds': N_('字段“{field}”的最短长度 {min_length} 大于最长长度 {max_length}：'
                           '请调小 min_length 或调大 max_length'),
    'wf.default_range': N_('字段“{field}”的默认值 {default} 不在 {min} 到 {max} 之间：请修改默认值或范围'),
    'wf.capacity_min': N_('人数上限“{field}”必须至少为 {least}（数据库不接受 0 人的需求）：请设置 min: {least} 或更大'),
    'wf.column_length': N_('字段“{field}”存入需求本身，最长 {limit} 个字：请把 max_length 调到 {limit} 以内'),
}


ENGINE: dict[str, str] = {
    'not_found': N_('找不到这条需求'),
    'notice.not_found': N_('找不到这条消息'),
    'notice.verify_failed': N_('验证邮件没有发出去，请检查邮箱地址，或稍后再试'),
    'notice.verify_invalid': N_('验证链接无效或已过期，请在通知设置里重新发送验证邮件'),
    'notice.overdue': N_('已超时，请尽快处理：{step}'),
    'no_step': N_('这个流程没有“{step}”这一步'),
    'not_human': N_('“{step}”由系统自动完成'),
    'role': N_('您没有权限做这一步'),
    'scope': N_('这不是您所在社区的需求'),
    'state': N_('当前状态是“{state}”，不能{step}'),
    'taken': N_('已被认领'),
    'taken.by_you': N_('您已经认领了，不用再点'),
    'taken.by_your_org': N_('您的组织已经抢到了，不用再抢'),
    'full': N_('名额已满'),
    'duplicate': N_('您已经认领或报名过了'),
    'confirm.none': N_('没有需要您确认的名额（可能已确认、已释放或活动已开始）'),
    'guard.registered_in_community': N_('请先到该社区报到'),
    'guard.not_requester': N_('不能认领自己发布的需求'),
    'guard.skills': N_('需要技能：{skills}'),
    'guard.no_time_clash': N_('与您已认领的“{other}”时间冲突'),
    'guard.booking_clash': N_('与您 {start} 预约的“{service}”时间冲突：请先取消那个预约'),
    'guard.in_time_window': N_('不在办理时间内：{opens} 至 {closes} 可以办理'),
    'guard.on_site': N_('请在活动现场扫描签到二维码后再办理（扫码后 15 分钟内有效）；无法扫码时请社区工作人员帮您确认出勤'),
    'presence.scanned': N_('已确认您在活动现场，请在 15 分钟内办理签到或签退'),
    'presence.wrong_code': N_('二维码无效或已过期，请扫描活动现场张贴的签到二维码'),
    'guard.after_start': N_('还没到时间：{start} 开始后才能办理'),
    'ended': N_('已于 {end} 结束，不能再报名或认领'),
    'no_claim': N_('您还没有认领或报名'),
    'closed.claiming_org': N_('仅限承接这项活动的“{org}”的党员报名'),
    'closed.registered_org': N_('仅限到本社区报到的党组织'),
    'not_signed_in': N_('请先签到'),
    'already_signed_in': N_('已经签到过了'),
    'form.after': N_('应晚于“{after}”'),
    'form.within_days': N_('最多比“{after}”晚 {days} 天，请检查日期'),
    'form.within_hours': N_('最多比“{after}”晚 {hours} 小时，请检查日期和时间'),
    'service.day_limit': N_('每天最多记录 {limit} 小时：今天已记录 {today} 小时，还可以记录 {left} 小时'),
    'already_signed_out': N_('已经签退过了'),
    'already_evaluated': N_('已经评价过了'),
    'input': N_('请检查填写的内容'),
    'console.once': N_('这张表单已经提交过了，没有重复创建。要再建一条，请重新点“创建”'),
    'console.twice': N_('您在 {when} 刚创建过一条一样的记录，这次没有再建。确实要再建一条，请再点一次保存'),
    'community': N_('请选择您所在的社区'),
    'task_type': N_('找不到这个任务类型'),
    'assignee': N_('被指派的人不是本社区报到的党员'),
    'slot': N_('这个时段已约满或不可预约'),
    'slot_held': N_('您已预约了这个时段，不用再约'),
    'slot_clash': N_('您 {start} 已预约了“{service}”，和这个时段重叠：请换一个时段，或先取消那个预约'),
    'slot_clash_claim': N_('您 {start} 已报名了“{title}”，和这个时段重叠：请换一个时段，或先取消报名'),
    'conflict': N_('与已有的记录冲突，未做任何更改，请刷新后再试'),
    'replayed': N_('已提交过，未重复处理（{step}）'),
    'ok': N_('{step}成功'),
}


DRYRUN: dict[str, str] = {
    'dry.unreachable': N_('示例需求走不到这一步的起始状态（停在了“{state}”），没有机会做这一步'),
    'dry.crashed': N_('示例需求在这一步出错：{detail}'),
}


LEDGER: dict[str, str] = {
    'ledger.insufficient': N_('积分不足'),
    # Never the key itself: it is the server's (adjust:<admin>:<client key>), not the client's.
    'ledger.key_conflict': N_('这个幂等键已用于另一笔不同的积分变动'),
    'ledger.unbalanced': N_('借贷不平衡'),
    'ledger.reason_required': N_('调整积分必须填写原因'),
    'ledger.own_account': N_('不能调整自己的积分，请由另一位管理员办理'),
    'ledger.same_admin': N_('提出申请的管理员不能自己审批，需要另一位管理员'),
    'ledger.decided': N_('这条申请已经处理过了'),
    'ledger.no_request': N_('找不到这条积分调整申请'),
}


SHOP: dict[str, str] = {
    'shop.not_found': N_('找不到这件商品或订单'),
    'shop.off_sale': N_('这件商品已下架'),
    'shop.out_of_stock': N_('库存不足'),
    'shop.limit': N_('超过每人限兑数量（{limit} 件）'),
    'shop.not_reserved': N_('订单已领取、取消或过期'),
    'shop.bad_code': N_('取货码无效'),
    'shop.retry': N_('系统繁忙，请再试一次'),
    'shop.memo.redeem': N_('兑换 {item} ×{quantity}'),
    'shop.memo.refund': N_('退还积分（订单 {order}）'),  # refunds before the item was named
    'shop.memo.refund_item': N_('退还积分：{item} ×{quantity}'),
    'shop.expired': N_('逾期未领取'),
    'shop.cancelled_by_community': N_('社区取消了这笔兑换'),
    'shop.stock_negative': N_('库存不能减到 0 以下'),
}

PEOPLE: dict[str, str] = {
    'registration.decided': N_('这条报到申请已经处理过了'),
    'join.decided': N_('这条入组申请已经处理过了'),
    'join.not_found': N_('找不到这条入组申请，或不是您管理的组织'),
    'org.not_member': N_('该党员已不在本组织，名单已更新'),
    'registration.reason': N_('请写明退回的原因，申请人会看到它'),
    'registration.reason_long': N_('原因不能超过 {max_length} 个字'),
    'registration.not_found': N_('找不到这条报到申请，或不在您管辖的社区'),
    'registration.duplicate': N_('已经向这个社区报到过了'),
    'registration.pending': N_('已经向这个社区报到，正在等社区审核：通过后会通知您'),
}


STORAGE: dict[str, str] = {
    'storage.empty': N_('文件是空的'),
    'storage.too_large': N_('图片不能超过 {limit} MB'),
    'storage.type': N_('只能上传 JPEG、PNG 或 WebP 图片'),
    'storage.disk': N_('存储空间不足或不可写，照片未保存，请稍后再试'),
}


# How the faces join a refusal's reason with its field messages (punctuation differs by language).
REFUSAL: dict[str, str] = {
    'refusal.with_fields': N_('{reason}：{fields}'),
    'refusal.separator': N_('；'),
}

ACCOUNTS: dict[str, str] = {
    'account.not_found': N_('找不到这个用户，或不在您管辖的社区'),
    'region.not_found': N_('找不到这个社区，或不在您管辖的范围'),
    'attendance.not_found': N_('这个人不是这项活动的参与者'),
    'attendance.no_person': N_('这是组织的认领，没有可签到的个人'),
    'account.not_resettable': N_('只能为本社区的居民和党员重置密码'),
}


RULES: dict[str, str] = {
    'rules.factors_format': N_('评分倍数的格式应为“星级:倍数”，如 1:0, 3:0.8, 5:1.2（“{part}”不对）'),
    'behalf.phone_taken': N_('这个电话已登记为本社区居民“{name}”：请在上方按姓名查找并选择，不要重复登记'),
    'task_type.workflow_kind': N_('“{workflow}”是{kind}的工作流，不能用于“{category}”类别：请换一个相符的工作流，或改类别'),
    'rules.base_bound': N_('基础积分不能超过市里设定的上限 {limit}'),
    'rules.per_hour_bound': N_('每小时积分应在 0 到市里设定的上限 {limit} 之间'),
    'rules.factor_bound': N_('评分倍数应在 0 到市里设定的上限 {limit} 之间'),
}

SLOTS: dict[str, str] = {
    'slots.no_service': N_('找不到这项服务，或它不在您的管辖范围内'),
    'slots.times_format': N_('时间段格式应为“09:00-10:00”，多个用逗号隔开（“{part}”不对）'),
    'slots.end_before_start': N_('结束时间要晚于开始时间 {part}'),
    'slots.capacity': N_('每个时段可约人数应为 1 到 500'),
    'slots.none': N_('按这些条件没有可生成的时段，请至少选一个星期几'),
    'slots.too_many': N_('一次会生成 {n} 个时段，超过上限 {limit}，请减少周数或时间段'),
    'slots.past': N_('开始日期不能早于今天，已过去的时段无法预约'),
    'slots.overlap': N_('时间段之间有重叠（{at}）'),
    'slots.clash': N_('与这项服务已有的时段重叠（{at}），没有生成任何时段'),
}

IMPORTS: dict[str, str] = {
    'import.too_large': N_('文件太大（上限 {mb} MB）'),
    'import.not_xlsx': N_('无法读取：请上传 Excel (.xlsx) 文件'),
    'import.too_many_cells': N_('表格的单元格太多（上限 {limit} 个），请删去多余的列或分成几个文件'),
    'import.too_many_rows': N_('行数超过上限 {limit}'),
    'import.missing_column': N_('缺少这一列'),
    'import.username_taken': N_('用户名 {name} 已存在'),
    'import.phone_format': N_('手机号码格式不对：{phone}'),
    'import.tel_format': N_('电话格式不对：{phone}'),
    'import.org_unknown': N_('找不到党组织“{name}”（只能是您管辖区县的党组织）'),
    'import.community_outside': N_('“{name}”不是您管辖范围内的社区'),
    'import.skill_unknown': N_('不认识的技能“{name}”'),
    'import.org_name_required': N_('请填写名称（最多 128 字）'),
    'import.org_exists': N_('“{name}”已存在'),
    'import.work_unit_required': N_('请填写工作单位'),
    'import.district_outside': N_('“{name}”不是您管辖范围内的区县'),
    'import.community_other_district': N_('“{name}”不在{district}'),
    'import.lost': N_('导入中断（服务重启），没有导入任何数据，请重新上传'),
}


SHARING: dict[str, str] = {
    'resource.not_found': N_('找不到这项资源，或它已停用'),
    'resource.no_answerer': N_('这项社区资源在本区县的申请流程中无人审批，请联系社区管理员'),
    'resource.not_owner': N_('只有资源的所有方（所属党组织或社区的管理员）可以管理它'),
    'resource.times': N_('请选择开始和结束时间，结束要晚于开始'),
    'resource.past': N_('不能预约已经过去的时间'),
    'resource.too_long': N_('一次最多预约 {hours} 小时'),
    'resource.closed_day': N_('{day} 不开放：{note}'),
    'resource.outside_hours': N_('所选时间不在开放时间内（{day}：{hours}）'),
    'resource.taken': N_('这个时间段已被预约（{start}–{end}），请换一个时间'),
    'resource.for_demand': N_('要关联的活动不存在、不在这项资源的社区，或不是您组织的活动'),
    'resource.hours_format': N_('开放时间格式应为“周一至周五 09:00-17:00”，每行一条（“{part}”不对）'),
    'resource.name': N_('请填写名称（最多 64 字）'),
    'resource.capacity': N_('容纳人数应为 1 到 10000'),
    'resource.community': N_('请选择您管辖范围内的社区'),
    'match.kind': N_('类型相符'),
    'match.words': N_('名称或说明含“{q}”'),
    'match.free': N_('所选时间开放且空闲'),
    'match.busy': N_('所选时间不开放或已被预约'),
    'match.past': N_('所选时间已经过去'),
    'match.near': N_('距离约 {km} 公里'),
    'match.rated': N_('以往评价 {rating} 分（{n} 次）'),
    'match.capacity': N_('可容纳 {capacity} 人'),
}


# The JSON API's own answers (admin/api): log-in, tokens, WeChat, idempotency keys, paging.
API: dict[str, str] = {
    'api.bad_request': N_('请求格式不对'),
    'api.unauthenticated': N_('请先登录（缺少或已失效的访问令牌）'),
    'api.forbidden': N_('您没有权限这样做'),
    'api.not_found': N_('找不到要访问的内容'),
    'api.method': N_('不支持这种请求方式'),
    'api.too_large': N_('请求内容太大'),
    'api.media_type': N_('请以 JSON 提交（Content-Type: application/json）'),
    'api.bad_json': N_('提交的内容不是有效的 JSON'),
    'api.nul': N_('输入包含不允许的字符'),
    'api.throttled': N_('操作太频繁，请 {seconds} 秒后再试'),
    'api.error': N_('服务器出错了，请稍后再试'),
    'api.unavailable': N_('系统繁忙，没有做任何更改，请稍后再试'),
    'api.invalid': N_('请检查填写的内容'),
    'api.credentials': N_('用户名或密码错误'),
    'api.password_change': N_('请先在网页上修改临时密码'),
    'api.token_invalid': N_('登录已失效，请重新登录'),
    'api.token_reused': N_('这个登录凭证已被使用过，为安全起见已退出该设备，请重新登录'),
    'api.device_not_found': N_('找不到这台设备'),
    'api.key_reused': N_('这个 Idempotency-Key 已用于另一个请求'),
    'api.key_format': N_('Idempotency-Key 应为 1 到 64 个字母、数字、点、横线或下划线'),
    'api.cursor': N_('翻页参数 cursor 无效'),
    'api.wechat_off': N_('本平台没有开通微信登录'),
    'api.wechat_code': N_('微信登录码无效或已使用，请重新进入小程序'),
    'api.wechat_busy': N_('微信登录太频繁，请稍后再试'),
    'api.wechat_blocked': N_('微信提示该账号存在风险，暂时不能登录'),
    'api.wechat_unavailable': N_('暂时连不上微信，请稍后再试'),
    'api.wechat_unbound': N_('这个微信还没有绑定账号：请输入用户名和密码绑定一次'),
    'api.wechat_ticket': N_('绑定已超时，请重新进入小程序'),
    'api.wechat_taken': N_('这个微信或这个账号已经绑定过了'),
    'api.upload_missing': N_('请上传一张图片（字段名 file）'),
    'api.upload_unknown': N_('找不到这张图片：请先上传（POST /uploads），再填它的 key'),
    # the staff's tools (admin/api/staff.py)
    'api.staff_only': N_('只有社区管理员可以使用这项功能'),
    # settings, account, news and WeChat binding over the API
    'api.wechat_ticket_spent': N_('这个绑定凭证已经用过了，请重新进入小程序'),
    'notice.mandatory': N_('「{category}」必须通过{channel}通知，不能关闭'),
    'notice.nothing_to_verify': N_('没有等待验证的电子邮箱：请先在通知设置里填写邮箱'),
    'news.not_found': N_('找不到这条资讯，或不在您管辖的地区'),
    'wechat.code_invalid': N_('绑定码不对或已过期：请让本人重新进入小程序，读出新的绑定码'),
}


MESSAGES: dict[str, str] = {**YAML, **VALIDATION, **COMPILER, **ENGINE, **DRYRUN, **LEDGER, **SHOP, **PEOPLE,
                            **STORAGE, **REFUSAL, **ACCOUNTS, **RULES, **SLOTS, **IMPORTS,
                            **SHARING, **API}
