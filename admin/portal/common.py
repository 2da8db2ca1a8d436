"""Small helpers the portal views share: the locale, step forms, uploads."""
from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy import select

from admin.database import db
from admin.i18n import lang as lang  # the one definition; re-exported for the portal's modules
from flows.core.storage import Storage, StorageRefused
from schemas.settings import get_settings
from schemas.tables import MemberRegistration, RegistrationStatus, User


def storage() -> Storage:
    return Storage(current_app.config.get("STORAGE_DIR") or get_settings().storage_dir)


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
    """Members reported in to a community, for `member` fields (assigning work)."""
    return [(user_id, name) for user_id, name in db().execute(select(User.id, User.display_name).join(
        MemberRegistration, MemberRegistration.member_id == User.id).where(
        MemberRegistration.community_id == community_id, MemberRegistration.status == RegistrationStatus.APPROVED)
        .order_by(User.display_name).limit(300))]
