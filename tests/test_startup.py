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


def test_commands_and_the_worker_start_without_spacy_or_the_api_libraries(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "herlens.settings",
        "SECRET_KEY": "tests-only-" + "x" * 40,
        "DEBUG": "0",
        "HERLENS_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_learning_services_threshold_off_is_the_trainers():
    from annotations.services import learning
    from annotations.suggest.learned import OFF

    assert learning.OFF == OFF
