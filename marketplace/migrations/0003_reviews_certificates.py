from django.db import migrations, models

import marketplace.models


def fill_certificate_codes(apps, schema_editor):
    CourseCompletion = apps.get_model("marketplace", "CourseCompletion")
    for completion in CourseCompletion.objects.filter(certificate_code__isnull=True).only("pk").iterator():
        # The same generator as the field's default below, which this migration references anyway.
        code = marketplace.models.new_certificate_code()
        CourseCompletion.objects.filter(pk=completion.pk).update(certificate_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0002_course_search_gin"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="hidden_reason",
            field=models.CharField(blank=True, help_text="Why staff hid it (not shown publicly).", max_length=500),
        ),
        # Existing completions each get their own code: add nullable, fill row by row, then make it unique.
        migrations.AddField(
            model_name="coursecompletion",
            name="certificate_code",
            field=models.CharField(editable=False, max_length=32, null=True),
        ),
        migrations.RunPython(fill_certificate_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="coursecompletion",
            name="certificate_code",
            field=models.CharField(
                default=marketplace.models.new_certificate_code, editable=False, max_length=32, unique=True
            ),
        ),
    ]
