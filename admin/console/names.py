"""Names instead of ids in every list, detail and export: a column holding a region, a person,
an organisation, an item… shows its name. Rows are read through the view's session, whose
identity map keeps each one for the request, so a page of fifty rows reads each name once."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.tables import (
    AppointmentService,
    DirectoryEntry,
    Organisation,
    Region,
    Resource,
    ShopItem,
    TaskType,
    User,
)

Formatter = Callable[[Any, Any, Any, str], str]


def _named(model: type, label: Callable[[Any], str]) -> Formatter:
    def formatter(view, context, row, name: str) -> str:
        value = getattr(row, name, None)
        if value is None:
            return ""
        found = view.session.get(model, value)
        return label(found) if found is not None else f"#{value}"
    return formatter


region = _named(Region, lambda r: r.name)
# A person as lists show them: 姓名（用户名）. An export below the district masks only the name
# part (`mask_user`): the user name is what the admin types to find the account, not who they are.
USER_LABEL = "{name}（{username}）"
user = _named(User, lambda u: USER_LABEL.format(name=u.display_name, username=u.username))


def mask_user(label: str, mask: Callable[[str], str]) -> str:
    """`label` with only the name masked: 史小明（m0054） → 史**（m0054）; any other text whole-masked."""
    name, bracket, rest = label.partition("（")
    if bracket and rest.endswith("）"):
        return USER_LABEL.format(name=mask(name), username=rest[:-1])
    return mask(label)
organisation = _named(Organisation, lambda o: o.name)
task_type = _named(TaskType, lambda t: t.name)
item = _named(ShopItem, lambda i: i.name)
service = _named(AppointmentService, lambda s: s.name)
entry = _named(DirectoryEntry, lambda e: e.name)
resource = _named(Resource, lambda r: r.name)


def demand(view, context, row, name: str) -> str:
    from schemas.tables import Demand

    value = getattr(row, name, None)
    found = view.session.get(Demand, value) if value is not None else None
    return f"#{value} {found.title}" if found is not None else ("" if value is None else f"#{value}")


def workflow(view, context, row, name: str) -> str:
    """A workflow id as its title (the newest published version's)."""
    from flows.workflow import registry

    titles = view.cached("workflow_titles", lambda: dict(registry.titles(view.session)))
    value = getattr(row, name, None)
    return titles.get(value, value or "")


# Which formatter names the value of a column, by the column's name.
BY_COLUMN: dict[str, Formatter] = {
    "community_id": region, "district_id": region, "region_id": region, "user_id": user, "member_id": user,
    "actor_id": user, "requester_id": user, "decided_by": user, "requested_by": user, "created_by": user,
    "updated_by": user, "author_id": user, "org_id": organisation, "provider_org_id": organisation,
    "task_type_id": task_type, "item_id": item, "service_id": service, "entry_id": entry, "demand_id": demand,
    "workflow_id": workflow, "resource_id": resource,
}


def of(view, column: str, value: Any) -> str | None:
    """`value` of `column` named as the lists name it (an id in an audit row's before and
    after); None when the column holds no id of a row with a name."""
    formatter = BY_COLUMN.get(column)
    if formatter is None or not isinstance(value, int) or isinstance(value, bool):
        return None
    return formatter(view, None, _Row({column: value}), column)


class _Row(dict):
    """One value as a formatter reads it (`getattr(row, column)`)."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def formatters_for(columns: list[str]) -> dict[str, Formatter]:
    """The name formatters for the id columns among `columns`."""
    return {c: BY_COLUMN[c] for c in columns if c in BY_COLUMN}
