from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions


class StaffWritesModelPermissions(DjangoModelPermissions):
    """Anyone reads; only staff write, and only what their model permissions allow
    (a curator adds and changes agreements, institutions and organizations; an editor
    also deletes agreements)."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        return super().has_permission(request, view)
