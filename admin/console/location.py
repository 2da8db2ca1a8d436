"""A business's location: coordinates checked against its community's, and a small preview
drawn on the server as SVG (the community's centre, its other businesses, this one, a scale):
no map tiles, no JavaScript library, nothing from a CDN."""
from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.core.geo import km
from flows.core.refusals import Refused
from schemas.tables import DirectoryEntry, Region

MAX_KM = 30  # a business listed for a community lies within a short drive of it
SIZE, PAD = 320, 24


def check_location(session: Session, entry: DirectoryEntry) -> None:
    """Both coordinates or neither; and near the entry's community."""
    if (entry.lat is None) != (entry.lng is None):
        field = "lng" if entry.lat is not None else "lat"
        raise Refused("input", fields={field: _("纬度和经度要一起填写")})
    community = session.get(Region, entry.community_id) if entry.community_id else None
    if entry.lat is None or community is None or community.lat is None or community.lng is None:
        return
    distance = km((community.lat, community.lng), entry.lat, entry.lng) or 0
    if distance > MAX_KM:
        raise Refused("input", fields={"lat": _("这个位置离%(community)s有 %(km)s 公里，请检查纬度和经度（是否填反了？）",
                                               community=community.name, km=distance)})


def preview(session: Session, entry: DirectoryEntry) -> Markup:
    """The entry among its community's other businesses, north up, with a scale bar."""
    community = session.get(Region, entry.community_id) if entry.community_id else None
    if community is None or community.lat is None or community.lng is None or entry.lat is None or entry.lng is None:
        return Markup(f'<p class="text-muted">{escape(_("未填写坐标，地图上不显示"))}</p>')
    home: tuple[float, float] = (community.lat, community.lng)
    here: tuple[float, float] = (entry.lat, entry.lng)
    others = session.execute(select(DirectoryEntry.lat, DirectoryEntry.lng).where(
        DirectoryEntry.community_id == community.id, DirectoryEntry.id != entry.id,
        DirectoryEntry.lat.is_not(None)).limit(200)).all()
    points = [home, here] + [(float(a), float(b)) for a, b in others if a is not None and b is not None]
    spread = max(max(abs(p[0] - home[0]) for p in points), max(abs(p[1] - home[1]) for p in points) * 0.68, 0.002)
    scale = (SIZE / 2 - PAD) / spread

    def xy(lat: float, lng: float) -> tuple[float, float]:
        return SIZE / 2 + (lng - home[1]) * 0.68 * scale, SIZE / 2 - (lat - home[0]) * scale

    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#999"/>' for x, y in (xy(*p) for p in points[2:]))
    cx, cy = xy(*home)
    ex, ey = xy(*here)
    bar_km = round(spread * 111 / 2, 2)
    distance = km(home, *here)
    label = escape(_("距%(community)s %(km)s 公里", community=community.name, km=distance))
    return Markup(
        f'<svg id="location-preview" width="{SIZE}" height="{SIZE + 30}" viewBox="0 0 {SIZE} {SIZE + 30}" '
        f'role="img" aria-label="{label}" style="background:#f4f6f8;border:1px solid #ccd">'
        f'{dots}<rect x="{cx - 5:.1f}" y="{cy - 5:.1f}" width="10" height="10" fill="#1f6feb"/>'
        f'<text x="{cx + 8:.1f}" y="{cy + 4:.1f}" font-size="11">{escape(community.name)}</text>'
        f'<circle cx="{ex:.1f}" cy="{ey:.1f}" r="7" fill="#c8102e"/>'
        f'<text x="{ex + 10:.1f}" y="{ey + 4:.1f}" font-size="12" font-weight="bold">{escape(entry.name)}</text>'
        f'<line x1="{PAD}" y1="{SIZE + 10}" x2="{SIZE / 2:.0f}" y2="{SIZE + 10}" stroke="#333"/>'
        f'<text x="{PAD}" y="{SIZE + 25}" font-size="11">{bar_km} km · {label}</text><text x="{SIZE - 20}" y="16" '
        f'font-size="12">N↑</text></svg>')
