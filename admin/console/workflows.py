"""The workflow editor, per line: the city's templates and each district's own versions.

Edit YAML with live validation, preview the diagram, dry-run sample demands in a copy of the
district, publish a new version of the line (running demands untouched, other districts
untouched), adopt a city template as is, browse the line's history with diffs, and roll back
by publishing an earlier text again. The city admin sees and edits every line; a district
admin edits their district's; a community admin reads their district's. Invalid text is
never published, and no text makes a page fail.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from markupsafe import Markup

from admin.auth import actor
from admin.console.secure import SecuredPage
from admin.database import db
from admin.params import parse_int
from admin.portal.common import lang
from flows.engine import dryrun
from flows.people import regions
from flows.workflow import registry
from flows.workflow.compiler import WorkflowInvalid, compile_source, format_problem
from flows.workflow.diagrams import svg as diagram
from schemas.settings import get_settings
from schemas.tables import Region, WorkflowVersion


@dataclass(frozen=True)
class Line:
    """One line of versions as this admin sees it."""

    district: Region | None  # None: the city's templates
    latest: WorkflowVersion | None  # what its new demands start on (own, or the template followed)
    own: bool  # the line has versions of its own (a district following the city has none)
    editable: bool

    @property
    def key(self) -> str:
        return str(self.district.id) if self.district else ""

    @property
    def name(self) -> str:
        return self.district.name if self.district else _("全市模板")


def _problems(source: str) -> list[dict]:
    """Every problem with its line and column, in the reader's language."""
    try:
        compile_source(source, "editor.yaml", max_bytes=get_settings().yaml_max_bytes,
                       bounds=registry.city_bounds(db()))
    except WorkflowInvalid as exc:
        return [{"line": p.line, "column": p.column, "message": format_problem(p, lang()).split(": ", 1)[1]}
                for p in exc.problems]
    return []


def _districts() -> list[Region]:
    return regions.admin_districts(db(), actor())


def _line(workflow_id: str, district: Region | None) -> Line:
    own = registry.own_latest(db(), workflow_id, district.id if district else None)
    latest = own or (registry.latest_version(db(), workflow_id, None) if district else None)
    return Line(district, latest, own is not None, regions.may_publish_for(actor(), district))


def _chosen_line(workflow_id: str) -> Line:
    """The line named by `?district=` (empty: the city's templates), or the admin's own: a
    district or community admin's district, the city admin's templates. Out of scope: 404."""
    districts = _districts()
    is_city = regions.may_publish_for(actor(), None)
    raw = request.values.get("district")
    if raw is None:
        return _line(workflow_id, None if is_city or not districts else districts[0])
    if raw == "":
        return _line(workflow_id, None)  # the templates: every admin may read them
    wanted = parse_int(raw, "district")
    chosen = next((d for d in districts if d.id == wanted), None)
    if chosen is None:
        abort(404)
    return _line(workflow_id, chosen)


def _lines(workflow_id: str) -> list[Line]:
    """The lines this admin sees: the city's templates, then their districts'."""
    result = [_line(workflow_id, None)]
    return result + [_line(workflow_id, d) for d in _districts()]


class WorkflowEditorView(SecuredPage):
    @expose("/")
    def index(self):
        workflows = [(wid, _lines(wid)) for wid in registry.workflow_ids(db())]
        return self.render("console/workflows.html", workflows=workflows, in_use=registry.versions_in_use(db()),
                           title=lambda row: registry.load(db(), row.workflow_id, row.version, row.content_hash).spec.title)

    @expose("/edit/<workflow_id>", methods=["GET", "POST"])
    def edit(self, workflow_id: str):
        line = _chosen_line(workflow_id)
        if line.latest is None:
            abort(404)
        source = request.form.get("source", line.latest.source)
        problems, run, preview = [], None, None
        if request.method == "POST":
            problems = _problems(source)
            if not problems:
                workflow = compile_source(source, "editor.yaml", max_bytes=get_settings().yaml_max_bytes)
                preview = Markup(diagram.svg(workflow.spec))
                if workflow.id != workflow_id:
                    problems = [{"line": 1, "column": 1, "message": _("id 必须保持为 %(id)s", id=workflow_id)}]
                elif request.form.get("do") == "dryrun":
                    copy = dryrun.district_copy(db(), line.district.id if line.district else None, workflow_id)
                    run = dryrun.run(source, "editor.yaml", copy)
                elif request.form.get("do") == "publish":
                    return self._publish(source, workflow_id, line)
        else:
            preview = Markup(diagram.svg(registry.load(db(), workflow_id, line.latest.version,
                                                       line.latest.content_hash).spec))
        return self.render("console/workflow_edit.html", workflow_id=workflow_id, line=line, lines=_lines(workflow_id),
                           source=source, problems=problems, run=run, preview=preview, locale=lang())

    def _publish(self, source: str, workflow_id: str, line: Line, note: str | None = None):
        if not line.editable:
            abort(403)
        district_id = line.district.id if line.district else None
        before = line.latest.version if line.own and line.latest else None
        try:
            version = registry.publish(db(), source, "editor.yaml", district_id=district_id,
                                       actor_id=actor().user_id,
                                       note=note or (request.form.get("note") or "")[:255] or None)
            db().commit()
        except WorkflowInvalid:
            db().rollback()
            flash(_("工作流有错误，未发布"), "error")
            return redirect(url_for(".edit", workflow_id=workflow_id, district=line.key))
        if version.version == before:
            flash(_("内容没有变化，未产生新版本"), "info")
        else:
            flash(_("已发布为 v%(version)s（%(line)s）；进行中的需求仍按原版本运行", version=version.version,
                    line=line.name), "success")
        return redirect(url_for(".history", workflow_id=workflow_id, district=line.key))

    @expose("/validate", methods=["POST"])
    def validate(self):
        """Live validation for the editor: every problem with its line and column, as JSON."""
        return jsonify(problems=_problems(request.form.get("source", "")))

    @expose("/history/<workflow_id>")
    def history(self, workflow_id: str):
        line = _chosen_line(workflow_id)
        district_id = line.district.id if line.district else None
        versions = registry.line_versions(db(), workflow_id, district_id)
        templates = registry.line_versions(db(), workflow_id, None) if district_id is not None else []
        if not versions and not templates:
            abort(404)
        diffs = {}
        # each version against the one before it in the line; a district's first version
        # against the city template it replaced
        before = [*versions[1:], next((t for t in templates if t.version < versions[-1].version), None)] \
            if versions else []  # a district with no version of its own yet: only the city's templates
        for newer, older in zip(versions, before, strict=True):
            if older is None:
                continue
            diffs[newer.version] = "".join(difflib.unified_diff(
                older.source.splitlines(keepends=True), newer.source.splitlines(keepends=True),
                f"v{older.version}", f"v{newer.version}"))
        return self.render("console/workflow_history.html", workflow_id=workflow_id, line=line, versions=versions,
                           templates=templates, diffs=diffs, in_use=registry.versions_in_use(db()))

    @expose("/rollback/<workflow_id>/<id:version>", methods=["POST"])
    def rollback(self, workflow_id: str, version: int):
        """Publish an earlier text of the line (or a city template) again, as its newest."""
        line = _chosen_line(workflow_id)
        row = self._readable_version(workflow_id, version, line)
        return self._publish(row.source, workflow_id, line, note=_("回滚到 v%(version)s", version=version))

    @expose("/adopt/<workflow_id>/<id:version>", methods=["POST"])
    def adopt(self, workflow_id: str, version: int):
        """A district takes a city template as is: its own line starts (or goes on) with it."""
        line = _chosen_line(workflow_id)
        if line.district is None:
            abort(404)
        row = self._readable_version(workflow_id, version, line)
        if row.district_id is not None:
            abort(404)
        return self._publish(row.source, workflow_id, line, note=_("采用全市模板 v%(version)s", version=version))

    @staticmethod
    def _readable_version(workflow_id: str, version: int, line: Line) -> WorkflowVersion:
        """A version of this line or a city template; never another district's."""
        for district_id in {line.district.id if line.district else None, None}:
            for row in registry.line_versions(db(), workflow_id, district_id):
                if row.version == version:
                    return row
        abort(404)
