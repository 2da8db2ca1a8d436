"""Excel import of members and organisations, with a row-by-row error report."""
from __future__ import annotations

from flask import request, send_file
from flask_admin import expose
from flask_login import current_user

from admin.console.secure import SecuredPage, admin_paths
from admin.database import db
from admin.i18n import lang
from flows.people import imports

KINDS = {"members": (imports.MEMBER_COLUMNS, imports.import_members, "党员"),
         "organisations": (imports.ORG_COLUMNS, imports.import_organisations, "党组织")}


class ImportView(SecuredPage):
    @expose("/", methods=["GET", "POST"])
    def index(self):
        errors, result, kind = [], None, request.form.get("kind", "members")
        if request.method == "POST" and kind in KINDS:
            upload = request.files.get("file")
            data = upload.read(imports.MAX_BYTES + 1) if upload else b""
            try:
                result = KINDS[kind][1](db(), data, current_user.id, admin_paths())
            except imports.ImportRefused as exc:  # nothing was written
                errors = [{"row": e.row, "column": e.column_in(lang()), "message": e.message_in(lang())}
                          for e in exc.errors]
        return self.render("console/import.html", errors=errors, result=result, kinds=KINDS, kind=kind)

    @expose("/template/<kind>.xlsx")
    def template(self, kind: str):
        import io

        columns = KINDS.get(kind, KINDS["members"])[0]
        return send_file(io.BytesIO(imports.template(columns)), as_attachment=True, download_name=f"{kind}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
