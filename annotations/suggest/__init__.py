"""Suggest claims, predictions and film references in a text (pure: no ORM, no HTTP).

>>> from annotations.suggest import get_suggester
>>> [s.tag for s in get_suggester().suggest("The film Her (2013) will age well.")]
"""

from __future__ import annotations

from annotations.suggest.base import CLAIM, FILM_REFERENCE, PREDICTION, TAG_SLUGS, Suggestion
from annotations.suggest.pipeline import (
    DEFAULT_MODEL,
    PipelineUnavailable,
    Suggester,
    build_pipeline,
    get_suggester,
    model_problem,
)

__all__ = [
    "CLAIM",
    "DEFAULT_MODEL",
    "FILM_REFERENCE",
    "PREDICTION",
    "TAG_SLUGS",
    "PipelineUnavailable",
    "Suggester",
    "Suggestion",
    "build_pipeline",
    "get_suggester",
    "model_problem",
]
