"""Store where the sentences of each document's text begin and end, for the CSV export.

A nullable column, so SQLite adds it with ALTER TABLE rather than rebuilding the
table (which would drop the triggers of 0017). Existing documents get their breaks
here; a document left without them (null) is still exported right, its text scanned.
"""

from django.db import migrations, models

BATCH = 500


def store_breaks(apps, schema_editor):
    # The splitter is plain code with no models: the breaks it makes now are the
    # ones the export checks against (their version says which rules made them).
    from annotations.sentences import text_breaks

    Document = apps.get_model("annotations", "Document")
    documents = Document._base_manager.using(schema_editor.connection.alias)
    last_id = 0
    while True:
        batch = list(documents.filter(pk__gt=last_id).order_by("pk").only("pk", "text")[:BATCH])
        if not batch:
            return
        for document in batch:
            document.sentence_breaks = text_breaks(document.text)
        documents.bulk_update(batch, ["sentence_breaks"])
        last_id = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0017_span_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="sentence_breaks",
            field=models.BinaryField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(store_breaks, migrations.RunPython.noop, elidable=True),
    ]
