"""Every other HTTP error a person can meet on the web (a photo over the size limit, a form
sent to a page that only shows, a service briefly away) answers the app's own page, in the
reader's language, with a way back: Werkzeug's English "413 Request Entity Too Large" reached a
member whose phone photo was 12 MB. 404, a bad parameter, a stale form and a throttled client
have their own pages; the API answers problems for all of them (admin/api/__init__.py)."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def page(exc: HTTPException):
    """The app's page for a 4xx or 5xx; anything else (a redirect raised as an exception) as it is."""
    status = exc.code or 500
    if status < 400:
        return exc
    home = url_for("admin.index") if request.path.startswith("/admin") else url_for("portal.index")
    return render_template("http_error.html", title=_title(status), message=_message(status), home=home), status


def _title(status: int) -> str:
    return _("请求未能完成") if status < 500 else _("服务暂时不可用")


def _message(status: int) -> str:
    if status == 413:
        limit = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
        return _("上传的内容太大（最多 %(mb)s MB）：请换一张较小的照片，或在手机上压缩后再试。", mb=limit)
    if status == 405:
        return _("这个页面不能这样使用：请从页面上的按钮进入。")
    if status == 403:
        return _("您没有权限做这一步。")
    if status == 400:
        return _("请求格式不对，请返回后重试。")
    if status < 500:
        return _("这个请求没有完成，请返回后重试。")
    return _("请稍后再试；如果一直这样，请联系社区。")
