"""Messages in the console: every delivery and its status (queued, sent, failed, gave up), with
sending again; and each district's wording of the message templates, with a preview."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin import events
from admin.auth import actor
from admin.console.secure import SecuredModelView, SecuredPage, admin_paths
from admin.database import db
from admin.i18n import field_errors, lang
from admin.params import parse_int, to_id
from flows.core.i18n import translate
from flows.core.refusals import Refused
from flows.notices import categories, overrides, reads, templates
from flows.people import regions
from schemas.tables import Region

STATUS = {"queued": _l("排队中"), "sent": _l("已发送"), "failed": _l("失败重试中"), "gave_up": _l("已放弃")}


class DeliveryView(SecuredModelView):
    """Each message on each channel about the communities of the admin's regions. Read only;
    given-up or failing ones can be sent again. No text of a message is shown, not even its
    title (an SMS's one sentence holds a pickup code): what it was (its kind), to whom, about
    which demand, and how its delivery went."""

    creatable = editable = deletable = False
    column_list = ["id", "created_at", "user_id", "channel", "kind", "demand_id", "status", "attempts", "due_at",
                   "sent_at", "last_error"]
    column_details_list = [*column_list, "community_id", "provider_ref", "read_at"]
    column_filters = ["channel", "status", "kind"]
    column_default_sort = ("id", True)
    column_formatters = {
        "status": lambda v, c, m, n: str(STATUS.get(m.status.value, m.status.value)),
        "channel": lambda v, c, m, n: translate(categories.CHANNELS.get(m.channel, m.channel), lang()),
        "kind": lambda v, c, m, n: events.message_kind(m.kind, m.demand_id),
    }

    def _scope(self, query):
        return query.filter(reads.in_scope(admin_paths()))

    @action("retry", _l("重新发送"), _l("把所选的失败消息重新发送？"))
    def action_retry(self, ids):
        done = reads.retry(db(), [i for i in (to_id(x) for x in ids) if i is not None], admin_paths(),
                           actor().user_id)
        flash(_("已重新排队 %(n)s 条", n=done), "success" if done else "warning")


def _district(raw: str | None) -> Region:
    """The district named by `?district=` among the admin's, or their first: 404 out of scope."""
    districts = regions.admin_districts(db(), actor())
    if not districts:
        abort(404)
    if raw in (None, ""):
        return districts[0]
    wanted = parse_int(raw, "district")
    chosen = next((d for d in districts if d.id == wanted), None)
    if chosen is None:
        abort(404)
    return chosen


class TemplateView(SecuredPage):
    """消息模板: the shipped templates as a district words them. District admins (and the city
    admin) change their district's wording; community admins read it. Only the template's own
    fields may be used — checked when saved, shown filled with a sample demand before saving."""

    @expose("/")
    def index(self):
        district = _district(request.args.get("district"))
        rows = [(name, overrides.effective(db(), district.id, name, fresh=True), shipped)
                for name, shipped in templates.shipped().items()]
        return self.render("console/notice_templates.html", rows=rows, district=district,
                           districts=regions.admin_districts(db(), actor()), categories=categories.CATEGORIES,
                           editable=regions.may_publish_for(actor(), district), locale=lang())

    @expose("/<template>", methods=["GET", "POST"])
    def edit(self, template: str):  # not `name`: Flask-Admin's view handler takes that argument
        name = template
        district = _district(request.values.get("district"))
        shipped = templates.shipped().get(name)
        if shipped is None:
            abort(404)
        current = overrides.effective(db(), district.id, name, fresh=True) or shipped
        editable = regions.may_publish_for(actor(), district)
        values = {"title_zh": current.title.zh, "text_zh": current.text.zh, "title_en": current.title.en or "",
                  "text_en": current.text.en or "", "sms_zh": current.sms.zh if current.sms else "",
                  "sms_en": (current.sms.en or "") if current.sms else ""}
        errors: dict[str, str] = {}
        preview = None
        if request.method == "POST":
            if not editable:
                abort(403)
            values = {key: request.form.get(key, "")[:600] for key in values}
            try:
                checked = overrides.check(name, **values)
                if "save" in request.form:
                    overrides.save(db(), district_id=district.id, name=name, actor_id=actor().user_id,
                                   title_zh=values["title_zh"], text_zh=values["text_zh"], title_en=values["title_en"],
                                   text_en=values["text_en"], sms_zh=values["sms_zh"], sms_en=values["sms_en"])
                    flash(_("消息模板已保存，%(district)s的新消息将使用新的内容", district=district.name), "success")
                    return redirect(url_for(".index", district=district.id))
                preview = _previews(checked)
            except Refused as exc:
                errors = field_errors(exc)
        elif current is not None:
            preview = _previews(current)
        return self.render("console/notice_template_edit.html", name=name, district=district, values=values,
                           errors=errors, preview=preview, editable=editable, fields=sorted(shipped.allowed()),
                           category=categories.CATEGORIES[shipped.category])


def _previews(template: templates.Template) -> dict[str, object]:
    """The wording filled with the sample demand, as each reader gets it."""
    return {"zh": overrides.preview(template, "zh"), "en": overrides.preview(template, "en"),
            "sms_zh": overrides.preview_short(template, "zh"), "sms_en": overrides.preview_short(template, "en")}
