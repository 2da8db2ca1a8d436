"""Shared resources in the console: community and district admins list and keep the resources
of their communities (scoped by `community_id`, audited, exportable like every model view)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange, Optional

from admin.console import choices
from admin.console.fields import ChoiceIdField, TextAreaField
from admin.console.secure import SecuredModelView
from schemas.tables import RegionLevel


class ResourceView(SecuredModelView):
    """Rooms, equipment, vehicles and services that units and merchants share; the owner
    organisation keeps them from the portal (我的资源) too."""

    region_key = "community_id"
    column_list = ["name", "kind", "community_id", "org_id", "capacity", "is_active"]
    column_searchable_list = ["name", "location"]
    column_filters = ["kind", "is_active"]
    form_columns = ["name", "kind", "community_id", "org_id", "directory_entry_id", "location", "lat", "lng",
                    "capacity", "equipment", "rules", "description", "is_active"]
    form_overrides = {"description": TextAreaField, "rules": TextAreaField}
    form_args = {"capacity": {"validators": [Optional(), NumberRange(1, 10000)]},
                 "lat": {"validators": [Optional(), NumberRange(-90, 90)]},
                 "lng": {"validators": [Optional(), NumberRange(-180, 180)]}}
    form_extra_fields = {
        "community_id": ChoiceIdField(_l("社区"), choices=choices.regions(RegionLevel.COMMUNITY)),
        "org_id": ChoiceIdField(_l("所属党组织"), choices=choices.organisations),
        "directory_entry_id": ChoiceIdField(_l("企业商户"), choices=choices.entries, allow_blank=True),
    }
