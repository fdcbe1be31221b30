"""What a management command and the task worker import before they do any work.

Commands start in a fraction of a second only if the heavy libraries stay out
until something needs them: spaCy where a pipeline runs (the worker's child
process), django-ninja and pydantic where the API answers (the web process).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys, django
django.setup()
from django.core.management import load_command_class
for name in ("import_documents", "export_corpus", "suggest", "learn"):
    load_command_class("annotations", name)
import annotations.tasks
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"spacy", "ninja", "pydantic"})))
"""


def production_env(folder) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "herlens.settings",
        "SECRET_KEY": "tests-only-" + "x" * 40,
        "DEBUG": "0",
        "HERLENS_VAR_DIR": str(folder),
    }


def run_fresh(arguments: list[str], folder) -> str:
    """Run Python with these arguments in a fresh production-like process; return its output."""
    done = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=production_env(folder),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def loaded(probe: str, folder) -> str:
    """Run probe in a fresh production-like interpreter; return what it printed."""
    return run_fresh(["-c", probe], folder)


def test_commands_and_the_worker_start_without_spacy_or_the_api_libraries(tmp_path):
    assert loaded(PROBE, tmp_path) == ""


WEB_PROBE = """
import sys
import herlens.wsgi
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"spacy", "thinc"})))
"""


def test_the_web_process_loads_no_spacy(tmp_path):
    # spaCy (and thinc, numpy) add about 60 MB to every web worker; only the task worker's
    # pipeline process needs them. The web application, all its views loaded, must not.
    assert loaded(WEB_PROBE, tmp_path) == ""


PARSERS_PROBE = """
import sys, django
django.setup()
from django.core.management import load_command_class
load_command_class("annotations", "export_corpus")
import annotations.middleware, annotations.imports
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"markdown_it", "charset_normalizer"})))
"""


def test_the_import_parsers_stay_out_until_a_file_of_their_format_is_read(tmp_path):
    # Every command (and the web process) loads the import package for its limits
    # and results; the Markdown and encoding-detection libraries are a tenth of a
    # command's start-up and only an import of such a file needs them.
    assert loaded(PARSERS_PROBE, tmp_path) == ""


def test_the_learning_services_threshold_off_is_the_trainers():
    from annotations.services import learning
    from annotations.suggest.learned import OFF

    assert learning.OFF == OFF


def test_a_command_collects_garbage_again_once_started_with_start_up_set_aside(tmp_path):
    # manage.py holds the collector off while Django starts; the app turns it back on.
    probe = "import gc; print(gc.isenabled(), gc.get_freeze_count() > 10000)"
    printed = run_fresh([str(ROOT / "manage.py"), "shell", "-c", probe], tmp_path)
    assert printed.splitlines()[-1].split() == ["True", "True"]


DEBUG_PAGES_PROBE = """
import sys, django
django.setup()
from django.core.management import load_command_class
for name in ("import_documents", "export_corpus"):
    load_command_class("annotations", name)
print("django.views.debug" in sys.modules)
"""


def test_commands_start_without_django_s_error_pages(tmp_path):
    # Django's default logging made its admins' mail handler, which imported the error
    # report (django.views.debug) in every command; herlens/log.py makes it on first use.
    assert loaded(DEBUG_PAGES_PROBE, tmp_path) == "False"


def test_server_errors_are_still_mailed_to_the_admins_with_django_s_report(settings, mailoutbox):
    import logging

    settings.ADMINS = [("Operator", "operator@example.org")]
    try:
        raise ValueError("the report names this error")
    except ValueError:
        logging.getLogger("django.request").error("Internal Server Error: /x", exc_info=True)
    assert len(mailoutbox) == 1
    assert "the report names this error" in mailoutbox[0].body
    assert "Traceback" in mailoutbox[0].body


def test_herlens_logging_still_reaches_the_console_and_django_s_defaults_stay():
    import logging

    from herlens.log import AdminEmailHandlerLoadingItsReporterOnUse

    root_handlers = logging.getLogger().handlers
    assert any(type(handler) is logging.StreamHandler for handler in root_handlers)
    django_handlers = logging.getLogger("django").handlers
    assert any(isinstance(h, AdminEmailHandlerLoadingItsReporterOnUse) for h in django_handlers)
    assert logging.getLogger("django.server").propagate is False
