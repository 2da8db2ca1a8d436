"""The admin console (Flask-Admin at /admin), in Chinese with English through the catalogue."""
from __future__ import annotations

from flask import Flask, g
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import scoped_session

from admin.console import catalogue, notices, operations, people, services, sharing
from admin.console.dashboard import DashboardView
from admin.console.imports import ImportView
from admin.console.workflows import WorkflowEditorView
from admin.security import headers, redirects
from schemas.tables import (
    AppointmentService,
    AppointmentSlot,
    AuditLog,
    Claim,
    Demand,
    DirectoryEntry,
    DirectoryService,
    Member,
    MemberRegistration,
    NewsPost,
    Notification,
    Order,
    Organisation,
    OrgRegistration,
    PointAdjustment,
    PointPolicy,
    Resource,
    ShopItem,
    TaskType,
)


def init_app(app: Flask) -> None:
    """Mount the console; its views share the app's database through a per-request session."""
    factory = app.extensions["yijia.sessions"]
    # One session per request, the same one the portal uses: Flask-Admin wants a session object.
    session = scoped_session(factory, scopefunc=lambda: id(g._get_current_object()))
    app.teardown_appcontext(lambda _exc: _remove(session))
    admin = Admin(app, name=_l("伊家管理后台"), url="/admin", theme=Bootstrap4Theme(swatch="default"),
                  index_view=DashboardView(name=_l("概览"), url="/admin"), csp_nonce_generator=headers.nonce)
    catalogue_, people_, service, ops = _l("目录"), _l("人员"), _l("服务"), _l("运行")
    for view in [
        catalogue.TaskTypeView(TaskType, session, name=_l("任务类型"), category=catalogue_),
        catalogue.PointPolicyView(PointPolicy, session, name=_l("积分规则上限"), category=catalogue_),
        catalogue.ShopItemView(ShopItem, session, name=_l("积分超市商品"), category=catalogue_),
        catalogue.NewsPostView(NewsPost, session, name=_l("宣传资讯"), category=catalogue_),
        catalogue.DirectoryEntryView(DirectoryEntry, session, name=_l("企业商户"), category=catalogue_),
        catalogue.DirectoryServiceView(DirectoryService, session, name=_l("便民服务事项"), category=catalogue_),
        people.OrganisationView(Organisation, session, name=_l("党组织"), category=people_),
        people.MemberView(Member, session, name=_l("人才资源库"), category=people_),
        people.MemberRegistrationView(MemberRegistration, session, name=_l("党员报到"), category=people_),
        people.OrgRegistrationView(OrgRegistration, session, name=_l("组织报到"), category=people_),
        ImportView(name=_l("Excel 导入"), endpoint="imports", category=people_),
        services.AppointmentServiceView(AppointmentService, session, name=_l("预约服务"), category=service),
        services.AppointmentSlotView(AppointmentSlot, session, name=_l("预约时段"), category=service),
        sharing.ResourceView(Resource, session, name=_l("共享资源"), category=service),
        sharing.ResourceUseView(name=_l("资源使用"), endpoint="resource_use", category=service),
        operations.DemandView(Demand, session, name=_l("需求"), category=ops),
        operations.ParticipantView(Claim, session, name=_l("参与人员"), category=ops),
        operations.OrderView(Order, session, name=_l("兑换订单"), category=ops),
        operations.AdjustmentView(PointAdjustment, session, name=_l("积分调整审批"), category=ops),
        WorkflowEditorView(name=_l("工作流"), endpoint="workflows", category=ops),
        notices.DeliveryView(Notification, session, name=_l("消息投递"), endpoint="deliveries", category=ops),
        notices.TemplateView(name=_l("消息模板"), endpoint="notice_templates", category=ops),
        operations.AuditLogView(AuditLog, session, name=_l("操作记录"), category=ops),
    ]:
        admin.add_view(view)
    from admin.app import csrf
    from admin.console.secure import SecuredModelView

    # Flask-Admin honours `url=` on every view; one guard for all of them (and any added later).
    redirects.guard_console(app, {view.blueprint.name for view in admin._views})

    for view in admin._views:
        if isinstance(view, SecuredModelView):
            csrf.exempt(view.blueprint)  # SecureForm guards these (see SecuredModelView)


def _remove(session: scoped_session) -> None:
    """The console's session ends like the portal's: a dead connection is not a 500 at teardown."""
    from admin.security.failures import discard

    if session.registry.has():
        discard(session.registry())
    session.registry.clear()
