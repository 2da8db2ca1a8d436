"""The member and resident portal (mobile-first)."""
from flask import Blueprint

bp = Blueprint("portal", __name__, template_folder="../templates")

from admin.portal import content, demands, hall, home, me, media, org  # noqa: E402  (routes register on import)
