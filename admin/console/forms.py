"""The console's form base: Flask-Admin's SecureForm (its CSRF token) whose every text field
keeps only what can be seen (flows.core.text) before any validator runs, so a name of one
zero-width space is "required" like an empty one, for every view and every form at once.

Flask-Admin marks a NOT NULL column InputRequired, which looks at the raw input (one zero-width
space is input); on a text field it becomes DataRequired, which looks at the cleaned value, and
says what the portal says of an empty field."""
from __future__ import annotations

from typing import Any

from flask_admin.form import SecureForm
from flask_babel import lazy_gettext as _l
from wtforms.fields import PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired

from flows.core.text import visible

# The portal's words for an empty required field (WTForms' own read 该字段是必填字段。).
REQUIRED = _l("缺少必填项")


def _visible(value: Any) -> Any:
    return visible(value) if isinstance(value, str) else value


class ConsoleForm(SecureForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                options["filters"] = [*unbound_field.kwargs.get("filters", ()), *options.get("filters", ()), _visible]
                given = options.get("validators", unbound_field.kwargs.get("validators"))
                if given is not None:  # (validators passed by position are left as they are)
                    options["validators"] = [DataRequired(v.message or REQUIRED) if isinstance(v, (InputRequired, DataRequired))
                                             else v for v in given]
            return unbound_field.bind(form=form, **options)
