"""Small helpers the portal views share: the locale, step forms, uploads, one-time keys, QR codes."""
from __future__ import annotations

import io
import uuid
from typing import Any

import segno
from flask import current_app, flash, request
from flask_babel import gettext as _
from sqlalchemy import select

from admin.database import db
from admin.i18n import lang as lang  # the one definition; re-exported for the portal's modules
from flows.core.storage import Storage, StorageRefused, configured
from schemas.tables import (
    Claim,
    ClaimStatus,
    Demand,
    MemberRegistration,
    RegistrationStatus,
    Skill,
    User,
    member_skills,
)


def storage() -> Storage:
    return configured(current_app.config.get("STORAGE_DIR"))


def read_step_form(form_spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted values for a step's form (uploads stored first), and upload errors."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, field in form_spec.items():
        if field.type == "image":
            upload = request.files.get(name)
            if upload is None or not upload.filename:
                continue
            data = upload.read(int(field.max_mb * 1024 * 1024) + 1)
            try:
                values[name] = storage().save(data, max_bytes=int(field.max_mb * 1024 * 1024))
            except StorageRefused as exc:
                errors[name] = exc.message(lang())
        elif field.type == "choice" and field.multiple:
            values[name] = request.form.getlist(name)
        elif field.type == "rating" and request.form.get(name) in (None, ""):
            continue
        elif name in request.form:
            values[name] = request.form[name]
    return values, errors


def member_choices(community_id: int, demand: Demand | None = None) -> list[tuple[int, str]]:
    """Members reported in to a community, for `member` fields (assigning work), each with their
    skills (王芳（理发、维修）): 派单 of a haircut among 57 bare names gave nothing to choose by.
    For a demand: those with a skill it needs first, and those already holding a place at its
    time said busy (该时段已有安排), so the admin does not send someone who cannot come."""
    people = [(user_id, name) for user_id, name in db().execute(select(User.id, User.display_name).join(
        MemberRegistration, MemberRegistration.member_id == User.id).where(
        MemberRegistration.community_id == community_id, MemberRegistration.status == RegistrationStatus.APPROVED)
        .order_by(User.display_name).limit(300))]
    skills: dict[int, list[str]] = {}
    codes: dict[int, set[str]] = {}
    busy: set[int] = set()
    if people:
        ids = [user_id for user_id, _name in people]
        for member_id, skill, code in db().execute(
                select(member_skills.c.member_id, Skill.name, Skill.code).join(Skill, Skill.id == member_skills.c.skill_id)
                .where(member_skills.c.member_id.in_(ids)).order_by(Skill.id)):
            skills.setdefault(member_id, []).append(skill)
            codes.setdefault(member_id, set()).add(code)
        if demand is not None and demand.starts_at is not None and demand.ends_at is not None:
            busy = set(db().scalars(select(Claim.user_id).join(Demand, Demand.id == Claim.demand_id).where(
                Claim.user_id.in_(ids), Claim.status == ClaimStatus.ACTIVE, Demand.id != demand.id,
                Demand.starts_at < demand.ends_at, Demand.ends_at > demand.starts_at)))
    needs = set(demand.required_skills or []) if demand is not None else set()

    def label(user_id: int, name: str) -> str:
        text = f"{name}（{'、'.join(skills[user_id])}）" if user_id in skills else name
        return text + _("（该时段已有安排）") if user_id in busy else text

    ranked = sorted(people, key=lambda p: (p[0] in busy, not (needs & codes.get(p[0], set()))))
    return [(user_id, label(user_id, name)) for user_id, name in ranked]


def new_request_key() -> str:
    """A one-time key for a form, issued when the form is shown (see flows.engine.replays)."""
    return uuid.uuid4().hex


def posted_request_key() -> str | None:
    """The key the form came back with; a re-shown form (field errors) keeps it."""
    return (request.form.get("request_key") or "")[:64] or None


def flash_outcome(outcome: Any) -> None:
    """'认领成功', or for a form sent again: '已提交过，未重复处理'."""
    flash(outcome.message(lang()), "info" if getattr(outcome, "replayed", False) else "success")


def qr_svg(text: str, title: str | None = None, scale: int = 6) -> tuple[bytes, int, dict[str, str]]:
    """A QR code as a standalone SVG document (with its namespace, so a browser draws it as an
    image), served with the SVG type. Always a full QR code: a short text would otherwise become
    a Micro QR code, which phone cameras do not read."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="svg", scale=scale, border=4, xmldecl=True, svgns=True,
                                     title=title, dark="#000", light="#fff")
    return buffer.getvalue(), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "private, max-age=300"}
