"""The workflow editor: edit YAML with live validation, preview the diagram, dry-run a
sample demand, publish as a new version (running demands untouched), browse history with
diffs, and roll back by publishing an earlier version again. Invalid text is never published."""
from __future__ import annotations

import difflib
from datetime import datetime

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from markupsafe import Markup
from sqlalchemy import Row, select

from admin.console.secure import SecuredPage, highest_role
from admin.database import db
from flows.engine import dryrun
from flows.workflow import registry
from flows.workflow.compiler import WorkflowInvalid, compile_source, format_problem
from flows.workflow.diagrams import svg as diagram
from schemas.settings import get_settings
from schemas.tables import Role, WorkflowVersion


def _may_publish() -> bool:
    return highest_role() in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def _problems(source: str) -> list[dict]:
    try:
        compile_source(source, "editor.yaml", max_bytes=get_settings().yaml_max_bytes)
    except WorkflowInvalid as exc:
        return [{"line": p.line, "column": p.column, "message": format_problem(p).split(": ", 1)[1]}
                for p in exc.problems]
    return []


class WorkflowEditorView(SecuredPage):
    @expose("/")
    def index(self):
        rows = db().execute(select(WorkflowVersion.workflow_id, WorkflowVersion.title, WorkflowVersion.version,
                                   WorkflowVersion.created_at).order_by(WorkflowVersion.workflow_id,
                                                                        WorkflowVersion.version.desc())).all()
        latest: dict[str, Row[str, str, int, datetime]] = {}
        for row in rows:
            latest.setdefault(row.workflow_id, row)
        in_use = registry.versions_in_use(db())
        return self.render("console/workflows.html", latest=latest.values(), in_use=in_use)

    @expose("/edit/<workflow_id>", methods=["GET", "POST"])
    def edit(self, workflow_id: str):
        row = registry.latest_version(db(), workflow_id)
        if row is None:
            abort(404)
        source = request.form.get("source", row.source)
        problems, run, preview = [], None, None
        if request.method == "POST":
            problems = _problems(source)
            if not problems:
                workflow = compile_source(source, "editor.yaml")
                preview = Markup(diagram.svg(workflow.spec))
                if workflow.id != workflow_id:
                    problems = [{"line": 1, "column": 1, "message": f"id 必须保持为 {workflow_id}"}]
                elif request.form.get("do") == "dryrun":
                    run = dryrun.run(source)
                elif request.form.get("do") == "publish":
                    return self._publish(source, workflow_id)
        else:
            preview = Markup(diagram.svg(compile_source(row.source).spec))
        return self.render("console/workflow_edit.html", workflow_id=workflow_id, row=row, source=source,
                           problems=problems, run=run, preview=preview, may_publish=_may_publish())

    def _publish(self, source: str, workflow_id: str, note: str | None = None):
        if not _may_publish():
            abort(403)
        current = registry.latest_version(db(), workflow_id)
        before = current.version if current is not None else 0
        try:
            version = registry.publish(db(), source, "editor.yaml", actor_id=self._user_id(),
                                       note=note or (request.form.get("note") or "")[:255] or None)
            db().commit()
        except WorkflowInvalid:
            db().rollback()
            flash("工作流有错误，未发布", "error")
            return redirect(url_for(".edit", workflow_id=workflow_id))
        if version.version == before:
            flash("内容没有变化，未产生新版本", "info")
        else:
            flash(f"已发布为 v{version.version}；进行中的需求仍按原版本运行", "success")
        return redirect(url_for(".history", workflow_id=workflow_id))

    @staticmethod
    def _user_id() -> int:
        from flask_login import current_user

        return current_user.id

    @expose("/validate", methods=["POST"])
    def validate(self):
        """Live validation for the editor: every problem with its line and column, as JSON."""
        return jsonify(problems=_problems(request.form.get("source", "")))

    @expose("/history/<workflow_id>")
    def history(self, workflow_id: str):
        versions = db().scalars(select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id)
                                .order_by(WorkflowVersion.version.desc())).all()
        if not versions:
            abort(404)
        diffs = {}
        for newer, older in zip(versions, versions[1:], strict=False):
            diffs[newer.version] = "".join(difflib.unified_diff(
                older.source.splitlines(keepends=True), newer.source.splitlines(keepends=True),
                f"v{older.version}", f"v{newer.version}"))
        return self.render("console/workflow_history.html", workflow_id=workflow_id, versions=versions, diffs=diffs,
                           in_use=registry.versions_in_use(db()), may_publish=_may_publish())

    @expose("/rollback/<workflow_id>/<int:version>", methods=["POST"])
    def rollback(self, workflow_id: str, version: int):
        """Publish an earlier version's text again, as the newest version."""
        row = db().scalar(select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id,
                                                        WorkflowVersion.version == version))
        if row is None:
            abort(404)
        return self._publish(row.source, workflow_id, note=f"回滚到 v{version}")
