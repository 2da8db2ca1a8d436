"""Excel import of members and organisations, scoped to the importer's region, all or nothing
with a row-by-row report; large workbooks run as a background job with a progress bar."""
from __future__ import annotations

import io
import threading

from flask import abort, current_app, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from admin.console.labels import enum_label
from admin.console.secure import SecuredPage, admin_paths
from admin.database import db
from admin.i18n import lang
from flows.people import import_jobs, imports
from schemas.tables import JobStatus

KINDS = {"members": (imports.MEMBER_COLUMNS, _l("党员")), "organisations": (imports.ORG_COLUMNS, _l("党组织"))}
STAGES = {"queued": _l("排队中"), "read": _l("读取表格"), "check": _l("逐行检查"), "prepare": _l("生成初始密码"),
          "write": _l("写入"), "end": _l("结束")}


def start_runner(job_id: int) -> None:
    """Run the job on a thread of this process (the page polls the job row, not the thread)."""
    factory = current_app.extensions["yijia.sessions"]
    threading.Thread(target=import_jobs.run, args=(factory, job_id), name=f"import-{job_id}", daemon=True).start()


class ImportView(SecuredPage):
    @expose("/", methods=["GET", "POST"])
    def index(self):
        errors, result, kind = [], None, request.form.get("kind", "members")
        if request.method == "POST" and kind in KINDS:
            upload = request.files.get("file")
            data = upload.read(imports.MAX_BYTES + 1) if upload else b""
            try:
                rows = imports.count_rows(data, KINDS[kind][0])
                if rows > import_jobs.BACKGROUND_ROWS:
                    job_id = import_jobs.enqueue(db(), kind, data, current_user.id, admin_paths(), rows)
                    start_runner(job_id)
                    return redirect(url_for(".job", job_id=job_id))
                result = imports.KINDS[kind][1](db(), data, current_user.id, admin_paths())
            except imports.ImportRefused as exc:
                db().rollback()
                errors = [e.as_dict(lang()) for e in exc.errors]
        return self.render("console/import.html", errors=errors, result=result, kinds=KINDS, kind=kind,
                           limits={"rows": imports.MAX_ROWS, "cells": imports.MAX_CELLS,
                                   "background": import_jobs.BACKGROUND_ROWS})

    @expose("/job/<int:job_id>")
    def job(self, job_id: int):
        """The job's progress (the page polls `job_status`), then its report."""
        job = import_jobs.mine(db(), job_id, current_user.id)
        if job is None:
            abort(404)
        passwords = import_jobs.passwords_once(db(), job) if job.status is JobStatus.DONE else []
        return self.render("console/import_job.html", job=job, errors=import_jobs.errors(job, lang()),
                           passwords=passwords, stages=STAGES, status=enum_label(job.status))

    @expose("/job/<int:job_id>.json")
    def job_status(self, job_id: int):
        job = import_jobs.mine(db(), job_id, current_user.id)
        if job is None:
            abort(404)
        return jsonify(status=job.status.value, stage=str(STAGES.get(job.stage, job.stage)), done=job.done,
                       total=job.total, percent=int(100 * job.done / max(job.total, 1)))

    @expose("/template/<kind>.xlsx")
    def template(self, kind: str):
        columns = KINDS.get(kind, KINDS["members"])[0]
        return send_file(io.BytesIO(imports.template(columns)), as_attachment=True, download_name=f"{kind}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
