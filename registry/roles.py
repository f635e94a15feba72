"""The two staff roles: curators keep records, editors also publish, withdraw and
merge."""

from django.contrib.auth.models import Group, Permission

CURATORS = "Curators"
EDITORS = "Editors"

# Curators may remove the rows that hang off a record (an alias, a participant, a
# source), not the records themselves.
CURATOR_DELETABLE = {
    "institutionalias",
    "institutionidentifier",
    "organizationalias",
    "disciplinealias",
    "activitytypealias",
    "datasourcealias",
    "agreementparticipant",
    "agreementpartner",
    "sourcerecord",
}
EDITOR_EXTRA = {
    "publish_agreement",
    "publish_casestudy",
    "delete_agreement",
    "delete_institution",
    "delete_organization",
    "delete_casestudy",
}


# Editors lift a sign-in lock (django-axes) by deleting the attempts that caused it.
EDITOR_LOCKOUTS = {"view_accessattempt", "delete_accessattempt"}


def ensure_roles() -> dict[str, Group]:
    """Create or refresh the two groups; safe to run again after new models appear."""
    registry_permissions = list(
        Permission.objects.filter(content_type__app_label="registry").select_related(
            "content_type"
        )
    )
    curator = [
        permission
        for permission in registry_permissions
        if permission.codename.split("_", 1)[0] in {"view", "add", "change"}
        or (
            permission.codename.startswith("delete_")
            and permission.content_type.model in CURATOR_DELETABLE
        )
    ]
    editor = curator + [p for p in registry_permissions if p.codename in EDITOR_EXTRA]
    editor += Permission.objects.filter(
        content_type__app_label="axes", codename__in=EDITOR_LOCKOUTS
    )
    groups = {}
    for name, permissions in ((CURATORS, curator), (EDITORS, editor)):
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        groups[name] = group
    return groups
