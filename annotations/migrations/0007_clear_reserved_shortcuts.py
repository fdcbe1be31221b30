"""Tags that took a key the annotate page uses itself lose that key (forms.RESERVED_SHORTCUTS).

On such a key review would not start, help would not open, or x in review would retag
instead of rejecting; the form now refuses these keys, and this clears the ones stored.
"""

from django.db import migrations

# A copy, as a migration must not change when the form's list does.
RESERVED = list("rxjkhla?[]")


def clear_reserved(apps, schema_editor):
    Tag = apps.get_model("annotations", "Tag")
    Tag.objects.filter(shortcut__in=RESERVED).update(shortcut="")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0006_unicode_tag_slugs")]

    operations = [migrations.RunPython(clear_reserved, migrations.RunPython.noop)]
