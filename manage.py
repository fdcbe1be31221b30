#!/usr/bin/env python
"""Django's command-line utility for herlens."""

from __future__ import annotations

import gc
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "herlens.settings")
    # Start-up makes tens of thousands of objects that live as long as the command, and the
    # collector walked them over and over while they were being made (a seventh of a command's
    # start-up). It stays off until the app is ready, which sets those objects aside and
    # turns it back on (annotations/apps.py).
    gc.disable()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
