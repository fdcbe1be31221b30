"""Count the changes of each document's spans, in the database, for the live poll.

Triggers rather than application code, so every write path counts: the ORM, imports
by COPY or bulk insert, raw SQL. On SQLite a trigger runs once per row; on PostgreSQL
once per statement (a COPY of 20,000 spans bumps each of its documents once).

SQLite drops a table's triggers when Django rebuilds the table (an altered column):
a later migration that rebuilds annotations_span, annotations_document or
annotations_project must create them again (tests/test_live_changes.py checks that
they exist after every migration).
"""

from django.db import NotSupportedError, migrations, models

SQLITE_BUMP = (
    "INSERT INTO annotations_spanchanges (document_id, changes) VALUES ({document}, 1) "
    "ON CONFLICT (document_id) DO UPDATE SET changes = changes + 1;"
)

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER span_changes_insert AFTER INSERT ON annotations_span
    BEGIN {SQLITE_BUMP.format(document="NEW.document_id")} END""",
    f"""CREATE TRIGGER span_changes_update AFTER UPDATE ON annotations_span
    BEGIN {SQLITE_BUMP.format(document="NEW.document_id")} END""",
    # A span moved to another document (nothing does so today) changes both.
    f"""CREATE TRIGGER span_changes_move AFTER UPDATE OF document_id ON annotations_span
    WHEN OLD.document_id IS NOT NEW.document_id
    BEGIN {SQLITE_BUMP.format(document="OLD.document_id")} END""",
    f"""CREATE TRIGGER span_changes_delete AFTER DELETE ON annotations_span
    BEGIN {SQLITE_BUMP.format(document="OLD.document_id")} END""",
    # The blind rule reads the document's reveal and its project's visibility.
    f"""CREATE TRIGGER span_changes_reveal AFTER UPDATE OF revealed_at, project_id
    ON annotations_document
    WHEN OLD.revealed_at IS NOT NEW.revealed_at OR OLD.project_id IS NOT NEW.project_id
    BEGIN {SQLITE_BUMP.format(document="NEW.id")} END""",
    # "WHERE true": without a WHERE, SQLite would read ON CONFLICT as a join's ON.
    """CREATE TRIGGER span_changes_visibility AFTER UPDATE OF visibility ON annotations_project
    WHEN OLD.visibility IS NOT NEW.visibility
    BEGIN
        INSERT INTO annotations_spanchanges (document_id, changes)
        SELECT id, 1 FROM annotations_document WHERE project_id = NEW.id AND true
        ON CONFLICT (document_id) DO UPDATE SET changes = changes + 1;
    END""",
]

SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "span_changes_insert",
        "span_changes_update",
        "span_changes_move",
        "span_changes_delete",
        "span_changes_reveal",
        "span_changes_visibility",
    )
]

#: Documents in id order, so two statements bumping the same documents lock them alike.
POSTGRES_BUMP = """
    INSERT INTO annotations_spanchanges AS counted (document_id, changes)
    SELECT document_id, 1 FROM ({documents}) AS changed ORDER BY document_id
    ON CONFLICT (document_id) DO UPDATE SET changes = counted.changes + 1;
"""

MOVED_OR_EDITED = "SELECT document_id FROM new_spans UNION SELECT document_id FROM old_spans"
PROJECT_DOCUMENTS = "SELECT id AS document_id FROM annotations_document WHERE project_id = NEW.id"

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION annotations_span_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {POSTGRES_BUMP.format(documents="SELECT DISTINCT document_id FROM new_spans")}
        ELSIF TG_OP = 'UPDATE' THEN
            {POSTGRES_BUMP.format(documents=MOVED_OR_EDITED)}
        ELSE
            {POSTGRES_BUMP.format(documents="SELECT DISTINCT document_id FROM old_spans")}
        END IF;
        RETURN NULL;
    END $$""",
    # Transition tables allow one event per trigger; once per statement, not per row.
    """CREATE TRIGGER span_changes_insert AFTER INSERT ON annotations_span
    REFERENCING NEW TABLE AS new_spans
    FOR EACH STATEMENT EXECUTE FUNCTION annotations_span_changes()""",
    """CREATE TRIGGER span_changes_update AFTER UPDATE ON annotations_span
    REFERENCING OLD TABLE AS old_spans NEW TABLE AS new_spans
    FOR EACH STATEMENT EXECUTE FUNCTION annotations_span_changes()""",
    """CREATE TRIGGER span_changes_delete AFTER DELETE ON annotations_span
    REFERENCING OLD TABLE AS old_spans
    FOR EACH STATEMENT EXECUTE FUNCTION annotations_span_changes()""",
    # The blind rule reads the document's reveal and its project's visibility.
    f"""CREATE FUNCTION annotations_reveal_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {POSTGRES_BUMP.format(documents="SELECT NEW.id AS document_id")}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER span_changes_reveal AFTER UPDATE OF revealed_at, project_id
    ON annotations_document FOR EACH ROW
    WHEN (OLD.revealed_at IS DISTINCT FROM NEW.revealed_at
          OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION annotations_reveal_changes()""",
    f"""CREATE FUNCTION annotations_visibility_changes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {POSTGRES_BUMP.format(documents=PROJECT_DOCUMENTS)}
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER span_changes_visibility AFTER UPDATE OF visibility ON annotations_project
    FOR EACH ROW WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility)
    EXECUTE FUNCTION annotations_visibility_changes()""",
]

POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS span_changes_visibility ON annotations_project",
    "DROP TRIGGER IF EXISTS span_changes_reveal ON annotations_document",
    "DROP TRIGGER IF EXISTS span_changes_insert ON annotations_span",
    "DROP TRIGGER IF EXISTS span_changes_update ON annotations_span",
    "DROP TRIGGER IF EXISTS span_changes_delete ON annotations_span",
    "DROP FUNCTION IF EXISTS annotations_visibility_changes()",
    "DROP FUNCTION IF EXISTS annotations_reveal_changes()",
    "DROP FUNCTION IF EXISTS annotations_span_changes()",
]


def _run(statements_by_vendor: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            # herlens runs on SQLite and PostgreSQL only; the live poll needs these triggers.
            raise NotSupportedError(f"herlens supports SQLite and PostgreSQL, not {vendor}.")
        for statement in statements_by_vendor[vendor]:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0016_merge_lost_suggestions_document_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="SpanChanges",
            fields=[
                ("document_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("changes", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        ),
    ]
