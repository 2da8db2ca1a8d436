"""The district admin console (Flask-Admin at /admin), in Chinese."""
from __future__ import annotations

from flask import Flask, g
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from sqlalchemy.orm import scoped_session

from admin.console import views
from admin.console.dashboard import DashboardView
from admin.console.imports import ImportView
from admin.console.workflows import WorkflowEditorView
from admin.security import headers
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
    Order,
    Organisation,
    OrgRegistration,
    ShopItem,
    TaskType,
)


def init_app(app: Flask) -> None:
    """Mount the console; its views share the app's database through a per-request session."""
    factory = app.extensions["yijia.sessions"]
    # One session per request, the same one the portal uses: Flask-Admin wants a session object.
    session = scoped_session(factory, scopefunc=lambda: id(g._get_current_object()))
    app.teardown_appcontext(lambda _exc: _remove(session))
    admin = Admin(app, name="伊家管理后台", url="/admin", theme=Bootstrap4Theme(swatch="default"),
                  index_view=DashboardView(name="概览", url="/admin"), csp_nonce_generator=headers.nonce)
    catalogue, people, service, ops = "目录", "人员", "服务", "运行"
    admin.add_view(views.TaskTypeView(TaskType, session, name="任务类型", category=catalogue))
    admin.add_view(views.ShopItemView(ShopItem, session, name="积分超市商品", category=catalogue))
    admin.add_view(views.NewsPostView(NewsPost, session, name="宣传资讯", category=catalogue))
    admin.add_view(views.DirectoryEntryView(DirectoryEntry, session, name="企业商户", category=catalogue))
    admin.add_view(views.DirectoryServiceView(DirectoryService, session, name="便民服务事项", category=catalogue))
    admin.add_view(views.OrganisationView(Organisation, session, name="党组织", category=people))
    admin.add_view(views.MemberView(Member, session, name="人才资源库", category=people))
    admin.add_view(views.MemberRegistrationView(MemberRegistration, session, name="党员报到", category=people))
    admin.add_view(views.OrgRegistrationView(OrgRegistration, session, name="组织报到", category=people))
    admin.add_view(ImportView(name="Excel 导入", endpoint="imports", category=people))
    admin.add_view(views.AppointmentServiceView(AppointmentService, session, name="预约服务", category=service))
    admin.add_view(views.AppointmentSlotView(AppointmentSlot, session, name="预约时段", category=service))
    admin.add_view(views.DemandView(Demand, session, name="需求", category=ops))
    admin.add_view(views.ParticipantView(Claim, session, name="参与人员", category=ops))
    admin.add_view(views.OrderView(Order, session, name="兑换订单", category=ops))
    admin.add_view(WorkflowEditorView(name="工作流", endpoint="workflows", category=ops))
    admin.add_view(views.AuditLogView(AuditLog, session, name="操作记录", category=ops))
    from admin.app import csrf
    from admin.console.secure import SecuredModelView

    for view in admin._views:
        if isinstance(view, SecuredModelView):
            csrf.exempt(view.blueprint)  # SecureForm guards these (see SecuredModelView)


def _remove(session: scoped_session) -> None:
    """The console's session ends like the portal's: a dead connection is not a 500 at teardown."""
    from admin.security.failures import discard

    if session.registry.has():
        discard(session.registry())
    session.registry.clear()
