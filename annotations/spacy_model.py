"""Whether the configured spaCy pipeline can be loaded, checked without importing spaCy.

Kept apart from annotations/suggest/ (which imports spaCy) so that the system
check costs the web process no memory; only the worker loads the pipeline.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

DEFAULT_MODEL = "blank:en"


def model_problem(name: str) -> str | None:
    """Say why the pipeline named ``name`` cannot be loaded, without loading it (None: fine)."""
    if not name or name.startswith("blank:"):
        language = name.split(":", 1)[1] if name else "en"
        # Look for spacy/lang/<code>/ on disk: find_spec("spacy.lang.en") would import spaCy.
        spacy_spec = importlib.util.find_spec("spacy")
        folders = spacy_spec.submodule_search_locations if spacy_spec else None
        if not language.isidentifier() or not folders:
            return f"there is no spaCy language {language!r}"
        if not any(
            (Path(folder) / "lang" / language / "__init__.py").exists() for folder in folders
        ):
            return f"there is no spaCy language {language!r}"
        return None
    if "/" in name or name.startswith("."):
        return None if Path(name).is_dir() else f"the directory {name} does not exist"
    try:
        found = name.replace(".", "_").isidentifier() and importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        found = False
    return None if found else f"the spaCy package {name!r} is not installed"
