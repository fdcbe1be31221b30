from __future__ import annotations

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "herlens.settings")

django_application = get_wsgi_application()

from annotations.quiet_polls import QuietPolls  # noqa: E402  (needs the apps loaded)

# A live poll that finds nothing new is answered before Django handles the request.
application = QuietPolls(django_application)
# Every view and what it imports (the API's libraries among them) is loaded now rather than
# by the first request, and then set aside with the rest of what a worker keeps for its
# life, so that no collection walks it again (one full collection amid an export took 86 ms).
import_module(settings.ROOT_URLCONF)
gc.freeze()
