"""What the console calls things: a Chinese label for every column and every enum value, in
the one catalogue (lazy, so each request reads them in its own language)."""
from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from schemas.tables import (
    AdjustmentStatus,
    BookingStatus,
    ClaimStatus,
    DirectoryKind,
    JobStatus,
    LimitPeriod,
    OrderStatus,
    RegistrationStatus,
    ResourceKind,
    Role,
    TaskCategory,
)

COLUMNS = {
    "id": _l("编号"), "name": _l("名称"), "code": _l("代码"), "category": _l("类别"),
    "default_points": _l("基础积分"), "per_hour": _l("每小时积分"), "rating_factors": _l("评分倍数"),
    "workflow_id": _l("工作流"), "is_active": _l("启用"), "description": _l("说明"), "district_id": _l("区县"),
    "community_id": _l("社区"), "price": _l("积分价格"), "stock": _l("库存"), "limit_qty": _l("每人限兑"),
    "limit_period": _l("限兑周期"), "on_sale": _l("上架"), "picture": _l("图片"), "cover": _l("封面图片"),
    "title": _l("标题"), "summary": _l("摘要"), "body": _l("正文"), "published_at": _l("发布时间"),
    "region_id": _l("地区"), "kind": _l("类型"), "address": _l("地址"), "phone": _l("电话"),
    "hours": _l("营业时间"), "lat": _l("纬度"), "lng": _l("经度"), "location": _l("位置"),
    "work_unit": _l("工作单位"), "contact_name": _l("联系人"), "contact_phone": _l("联系电话"),
    "availability": _l("可服务时间"), "skills": _l("技能"), "status": _l("状态"), "state": _l("状态"),
    "created_at": _l("创建时间"), "capacity": _l("容量"), "starts_at": _l("开始时间"), "ends_at": _l("结束时间"),
    "booked": _l("已约"), "taken": _l("已认领"), "points": _l("积分"), "pickup_code": _l("取货码"),
    "quantity": _l("数量"), "action": _l("操作"), "table_name": _l("对象"), "row_id": _l("记录"),
    "before": _l("修改前"), "after": _l("修改后"), "at": _l("时间"), "actor_id": _l("操作人"),
    "reason": _l("原因"), "bio": _l("简介"), "user.display_name": _l("姓名"), "user_id": _l("人员"),
    "org_id": _l("党组织"), "member_id": _l("党员"), "entry_id": _l("商户"), "service_id": _l("服务"),
    "item_id": _l("商品"), "item_name": _l("商品"), "task_type_id": _l("任务类型"), "workflow_version": _l("版本"),
    "requester_id": _l("发起人"), "place": _l("地点"), "demand_id": _l("需求"), "step": _l("方式"),
    "provider_org_id": _l("服务组织"), "decided_by": _l("审核人"), "decided_at": _l("审核时间"),
    "amount": _l("数额"), "requested_by": _l("申请人"), "max_base_points": _l("基础积分上限"),
    "max_per_hour": _l("每小时积分上限"), "max_rating_factor": _l("评分倍数上限"),
    "adjust_threshold": _l("积分调整审批线"), "updated_at": _l("更新时间"), "updated_by": _l("更新人"),
    "expires_at": _l("领取期限"), "author_id": _l("作者"), "channel": _l("渠道"), "attempts": _l("尝试次数"),
    "due_at": _l("下次发送"), "sent_at": _l("发送时间"), "last_error": _l("最近错误"), "provider_ref": _l("回执编号"),
    "read_at": _l("阅读时间"),
    "equipment": _l("设备"), "rules": _l("使用规则"), "directory_entry_id": _l("企业商户"),
    "resource_id": _l("共享资源"), "photo": _l("照片"),
    "posting": _l("积分流水号"), "delta": _l("变动数量"), "rows": _l("行数"),
}

# Every enum value a person may see in the console, in the catalogue.
ENUMS: dict[enum.Enum, object] = {
    TaskCategory.MICRO_WISH: _l("微心愿"), TaskCategory.ACTIVITY: _l("联建活动"),
    TaskCategory.VOLUNTEER: _l("志愿服务"), TaskCategory.APPOINTMENT: _l("预约服务"),
    TaskCategory.URGENT: _l("急难愁盼"),
    LimitPeriod.DAY: _l("每天"), LimitPeriod.WEEK: _l("每周"), LimitPeriod.MONTH: _l("每月"),
    LimitPeriod.EVER: _l("累计"),
    OrderStatus.RESERVED: _l("待领取"), OrderStatus.PICKED_UP: _l("已领取"), OrderStatus.CANCELLED: _l("已取消"),
    OrderStatus.EXPIRED: _l("已过期"),
    DirectoryKind.ENTERPRISE: _l("企业"), DirectoryKind.INSTITUTION: _l("事业单位"),
    DirectoryKind.MERCHANT: _l("商户"),
    RegistrationStatus.PENDING: _l("待审核"), RegistrationStatus.APPROVED: _l("已通过"),
    RegistrationStatus.REJECTED: _l("已退回"),
    ClaimStatus.ACTIVE: _l("进行中"), ClaimStatus.WITHDRAWN: _l("已退出"), ClaimStatus.DONE: _l("已结束"),
    BookingStatus.BOOKED: _l("已预约"), BookingStatus.CANCELLED: _l("已取消"),
    ResourceKind.ROOM: _l("场地"), ResourceKind.EQUIPMENT: _l("设备"), ResourceKind.VEHICLE: _l("车辆"),
    ResourceKind.SERVICE: _l("专业服务"),
    AdjustmentStatus.PENDING: _l("待审批"), AdjustmentStatus.APPROVED: _l("已批准"),
    AdjustmentStatus.REJECTED: _l("已驳回"),
    JobStatus.QUEUED: _l("排队中"), JobStatus.RUNNING: _l("进行中"), JobStatus.DONE: _l("已完成"),
    JobStatus.FAILED: _l("未导入"),
    Role.RESIDENT: _l("居民"), Role.MEMBER: _l("党员"), Role.ORG_ADMIN: _l("党组织管理员"),
    Role.COMMUNITY_ADMIN: _l("社区管理员"), Role.DISTRICT_ADMIN: _l("区县管理员"), Role.CITY_ADMIN: _l("市级管理员"),
}

# What the audit trail calls an action and a table.
ACTIONS = {
    "create": _l("新建"), "update": _l("修改"), "delete": _l("删除"), "import": _l("导入"),
    "restock": _l("补货"), "adjust_points": _l("调整积分"), "adjust_requested": _l("申请调整积分"),
    "adjust_approved": _l("批准调整积分"), "adjust_rejected": _l("驳回调整积分"),
    "erase": _l("删除个人信息"), "erase_photos_failed": _l("照片未能删除"),
}
TABLES = {
    "task_types": _l("任务类型"), "shop_items": _l("积分超市商品"), "news_posts": _l("宣传资讯"),
    "directory_entries": _l("企业商户"), "directory_services": _l("便民服务事项"), "organisations": _l("党组织"),
    "members": _l("党员"), "member_registrations": _l("党员报到"), "org_registrations": _l("组织报到"),
    "appointment_services": _l("预约服务"), "appointment_slots": _l("预约时段"), "accounts": _l("积分账户"),
    "point_adjustments": _l("积分调整申请"), "point_policy": _l("积分规则上限"),
    "resources": _l("共享资源"), "resource_hours": _l("开放时间"), "resource_closures": _l("不开放的日子"),
    "users": _l("用户"),
}


def enum_label(value: enum.Enum) -> str:
    """The value's label in the reader's language (its code when none was written)."""
    label = ENUMS.get(value)
    return str(label) if label is not None else str(value.value)


def enum_choices(enum_class: type[enum.Enum]) -> list[tuple[str, str]]:
    """(stored value, label) for a select box."""
    return [(member.value, enum_label(member)) for member in enum_class]
