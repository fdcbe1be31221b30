"""Writes that check the rules of the domain, one module per concern.

Each service is keyword-only and atomic; a rule that is broken raises
``errors.DomainError`` with a message a person can act on, and nothing is
written. Views, the API, tasks and commands call these; file formats and the
pure modules never do (see docs/architecture.md).

- ``errors``: ``DomainError`` and the messages several services share.
- ``projects``: projects, their tags and settings.
- ``documents``: one pasted document; text fingerprints.
- ``spans``: span rules, create, edit, delete, Undo.
- ``imports``: many documents and spans from files; the import job.
- ``suggestions``: suggestion runs: queue, compute, store.
- ``learning``: training a project's suggester from its decisions; ``learned``: where
  the trained versions are stored and how the worker loads them.
- ``decisions``: accepting and rejecting suggestions.
- ``tokens``: API tokens.
- ``revisions``: a document's text changes only here, as a new revision; spans follow.
- ``trash``: deleted documents and spans, restorable for 30 days.
- ``bulk``: plain-SQL writes of thousands of rows (what a revision moves and records).
- ``classes``: class mode (joining, accounts, assignments, comments, reference layer).
"""
