"""Small helpers the portal views share: the locale, step forms, uploads, one-time keys, QR codes."""
from __future__ import annotations

import io
import uuid
from typing import Any

import segno
from flask import current_app, flash, request
from sqlalchemy import select

from admin.database import db
from admin.i18n import lang as lang  # the one definition; re-exported for the portal's modules
from flows.core.storage import Storage, StorageRefused, configured
from schemas.tables import MemberRegistration, RegistrationStatus, Skill, User, member_skills


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


def member_choices(community_id: int) -> list[tuple[int, str]]:
    """Members reported in to a community, for `member` fields (assigning work), each with their
    skills (王芳（理发、维修）): 派单 of a haircut among 57 bare names gave nothing to choose by."""
    people = [(user_id, name) for user_id, name in db().execute(select(User.id, User.display_name).join(
        MemberRegistration, MemberRegistration.member_id == User.id).where(
        MemberRegistration.community_id == community_id, MemberRegistration.status == RegistrationStatus.APPROVED)
        .order_by(User.display_name).limit(300))]
    skills: dict[int, list[str]] = {}
    if people:
        for member_id, skill in db().execute(
                select(member_skills.c.member_id, Skill.name).join(Skill, Skill.id == member_skills.c.skill_id)
                .where(member_skills.c.member_id.in_([p for p, _ in people])).order_by(Skill.id)):
            skills.setdefault(member_id, []).append(skill)
    return [(user_id, f"{name}（{'、'.join(skills[user_id])}）" if user_id in skills else name) for user_id, name in people]



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
