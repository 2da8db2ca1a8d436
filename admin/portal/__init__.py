"""The member and resident portal (mobile-first)."""
from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="../templates")

from admin.portal import account, content, demands, elder, hall, home, inbox, me, media, org, publish, queue, sharing  # noqa: E402  (routes register on import)
from admin.portal.nav import nav  # noqa: E402
from admin.portal.paging import page_url  # noqa: E402

bp.app_context_processor(lambda: {"nav": nav(), "page_url": page_url})
