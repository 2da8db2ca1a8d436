"""The message templates that `notify:` (and the programme's own events) name: data shipped in workflows/notices/templates.yaml
(title and text, Chinese and English, with the demand's fields between braces), read with the
safe YAML loader, and the one renderer. The compiler checks names and fields against these."""
from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flows.core import safe_yaml
from flows.core.i18n import Message
from flows.core.moments import Moment
from schemas.settings import get_settings

# What a template may say about a demand (flows.engine.notices fills them). `org`: the party
# organisation holding it, or, for the step that let go of it (放弃抢单), the one that did.
FIELDS = frozenset({"id", "title", "description", "place", "starts_at", "ends_at", "capacity", "community", "state",
                    "org"})
# The programme's own messages are about something else than a demand; each category names
# the fields its writer fills (flows.people.orgs, flows.points.shop, flows.points.ledger).
OTHER_FIELDS = {
    "account": frozenset({"community", "org", "decision", "reason", "member"}),
    "order": frozenset({"item", "quantity", "code", "expires_at", "community", "points", "reason"}),
    "points": frozenset({"points", "balance", "reason"}),
}


class Text(BaseModel):
    """One sentence in both languages; Chinese is the source, English falls back to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    zh: str = Field(min_length=1, max_length=500)
    en: str | None = Field(None, max_length=500)

    def get(self, locale: str | None) -> str:
        return self.en if locale == "en" and self.en else self.zh


class Template(BaseModel):
    """A message: its title and text, and the category people choose channels for."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    title: Text
    text: Text
    category: Literal["service", "reminder", "escalation", "account", "order", "points"] = "service"
    # SMS and WeChat: one short sentence instead of title and text (default: the title)
    sms: Text | None = None
    # fields of the notifying step's form it names (a rejection's `reason`): what the person
    # typed reaches whom the step tells; the compiler refuses it on a step without such a field
    step_fields: tuple[str, ...] = ()

    def allowed(self) -> frozenset[str]:
        """The fields a template of this category may use."""
        return OTHER_FIELDS.get(self.category, FIELDS) | frozenset(self.step_fields)

    def fields(self) -> set[str]:
        """Every field the template names, in either language and either part."""
        return {name for part in (self.title, self.text, self.sms) if part is not None
                for value in (part.zh, part.en or "") for name in variables(value)}


def variables(text: str) -> list[str]:
    """The field names between braces in `text` (`{{` is a literal brace); a malformed brace
    is reported as the field name itself, so a check refuses it."""
    try:
        # a conversion or a format spec ({title!r}, {title:>99999999}) is not a plain field: it is
        # reported whole, so a check refuses it (a width like that would fill the memory at run time)
        return [name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                for _, name, spec, conversion in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return [text]


def path() -> Path:
    return get_settings().workflows_dir / "notices" / "templates.yaml"


@cache
def _load(file: Path, mtime_ns: int) -> dict[str, Template]:
    loaded = safe_yaml.load(file.read_bytes(), str(file))
    return {name: Template.model_validate(value) for name, value in (loaded.data or {}).items()}


def shipped() -> dict[str, Template]:
    """The shipped templates by name (read again when the file changes)."""
    file = path()
    return _load(file, file.stat().st_mtime_ns) if file.exists() else {}


def _filled(template: Template, values: dict[str, Any], locale: str | None) -> dict[str, Any]:
    """Each field the template may use: its value, a sentence of ours (`Message`) or a time
    (`flows.core.moments.Moment`) in the reader's language, an absent one blank."""
    return {name: "" if (value := values.get(name)) is None else value.render(locale)
            if isinstance(value, Message | Moment) else value for name in template.allowed()}


def render(template: Template, values: dict[str, Any], locale: str | None = None) -> tuple[str, str]:
    """(title, text) in the locale, each field filled from `values` (an absent one left blank)."""
    filled = _filled(template, values, locale)
    return (template.title.get(locale).format(**filled)[:200], template.text.get(locale).format(**filled))


def render_short(template: Template, values: dict[str, Any], locale: str | None = None) -> str:
    """The one sentence SMS and WeChat carry: the template's `sms`, else its title, filled in."""
    filled = _filled(template, values, locale)
    return (template.sms or template.title).get(locale).format(**filled)[:200]


@dataclass(frozen=True)
class Filled:
    """A template with its values: the message in any language, and its one SMS sentence —
    what a channel row needs to be written in its reader's language."""

    template: Template
    values: dict[str, Any]

    def render(self, locale: str | None = None) -> tuple[str, str]:
        return render(self.template, self.values, locale)

    def short(self, locale: str | None = None) -> str:
        return render_short(self.template, self.values, locale)
