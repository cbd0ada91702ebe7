from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    """CREATE INDEX CONCURRENTLY on PostgreSQL (webhook intake keeps writing the table while it is built);
    a plain CREATE INDEX elsewhere (SQLite in development)."""

    atomic = False

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("billing", "0004_stripe_event_next_attempt"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="stripeevent",
            index=models.Index(
                condition=models.Q(next_attempt_at__isnull=False),
                fields=["next_attempt_at"],
                name="billing_event_next_attempt",
            ),
        ),
    ]
