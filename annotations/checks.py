"""System checks: problems an operator must fix before herlens starts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from annotations.spacy_model import model_problem

SPACY_MODEL_MISSING = "herlens.E001"
#: The tag of herlens's own checks, so a command can ask for them without the URL checks.
HERLENS_CHECKS = "herlens"
#: What the data commands (import, export) check before they run: herlens's own
#: settings. The URL checks would import every view and the API schema (a third of
#: a second) for a command that serves no page. The model checks look at the code,
#: not at the data or the configuration: ``manage.py check``, ``migrate`` (which
#: every installation and upgrade runs first) and the tests run them against the
#: same code, and here they took a twentieth of a command's start-up.
DATA_COMMAND_CHECKS = [HERLENS_CHECKS]


@register(HERLENS_CHECKS)
def spacy_model_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse to start with a base pipeline that is not installed (never download at run time)."""
    name = settings.HERLENS_SPACY_MODEL
    problem = model_problem(name)
    if problem is None:
        return []
    return [
        Error(
            f"HERLENS_SPACY_MODEL={name!r} cannot be loaded: {problem}.",
            hint=(
                "Install the spaCy package into this environment (pip install <package>), give the "
                "path of a pipeline directory, or unset HERLENS_SPACY_MODEL to use the rules on "
                'spacy.blank("en").'
            ),
            id=SPACY_MODEL_MISSING,
        )
    ]
