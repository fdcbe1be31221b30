"""Suggest claims, predictions and film references in a text (pure: no ORM, no HTTP).

The package imports none of its modules: callers import the one they need, so that a
rule module importing a sibling never runs the pipeline module half-loaded.

>>> from annotations.suggest.pipeline import get_suggester
>>> [s.tag for s in get_suggester().suggest("The film Her (2013) will age well.")]
"""
