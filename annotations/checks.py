"""System checks: problems an operator must fix before herlens starts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from annotations.spacy_model import model_problem

SPACY_MODEL_MISSING = "herlens.E001"


@register()
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
