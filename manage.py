#!/usr/bin/env python
import os
import sys

# Commands that answer web requests: the settings refuse to serve them with the
# development key unless DEBUG is on. Every other command (migrate, makemigrations,
# the loaders) signs nothing, so it runs without a SECRET_KEY.
SERVING_COMMANDS = {"runserver", "testserver"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "usjp_site.settings")
    if len(sys.argv) > 1 and sys.argv[1] not in SERVING_COMMANDS:
        os.environ["USJP_NOT_SERVING"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
