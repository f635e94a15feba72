from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.roles import EDITORS, ensure_roles

USERNAME = "editor"
PASSWORD = "usjp-demo-editor"


class Command(BaseCommand):
    help = "Create the staff roles and, on a development machine, a demo editor login."

    def handle(self, *args, **options):
        groups = ensure_roles()
        if not settings.DEBUG:
            raise CommandError(
                "Roles are ready, but a demo login with a known password is for "
                "development only (DEBUG=1). Create real accounts with createsuperuser "
                "or in the admin."
            )
        user, _created = get_user_model().objects.get_or_create(
            username=USERNAME, defaults={"is_staff": True}
        )
        user.is_staff = True
        user.set_password(PASSWORD)
        user.save()
        user.groups.add(groups[EDITORS])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin login: http://127.0.0.1:8000/admin/  user {USERNAME}  "
                f"password {PASSWORD}"
            )
        )
