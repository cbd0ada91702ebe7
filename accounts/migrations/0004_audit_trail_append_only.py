"""The audit trail is append-only in the database itself (PostgreSQL, as production runs it).

A trigger refuses every DELETE of an audit entry and every UPDATE except the one Django makes when a user
is deleted (the entry's actor set to NULL, by the ForeignKey's SET_NULL; ``actor_email`` keeps who it
was). So neither a bug, a console page nor someone with the application's database role can rewrite what
staff did. TRUNCATE (a test database being emptied between tests) is not a row operation and is not
refused. On SQLite (the embedded default and local tests) the console and the code paths refuse instead:
SQLite empties tables with DELETE between tests, which a trigger would break.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION lyceum_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'The audit trail is append-only: entry % cannot be deleted', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's account was deleted (ON DELETE SET NULL); actor_email still names them
    END IF;
    RAISE EXCEPTION 'The audit trail is append-only: entry % cannot be changed', OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# OR REPLACE (PostgreSQL 14+): running this again (the rollback test re-runs every data step) is harmless.
TRIGGER = """
CREATE OR REPLACE TRIGGER lyceum_audit_append_only
BEFORE UPDATE OR DELETE ON auditlog_logentry
FOR EACH ROW EXECUTE FUNCTION lyceum_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS lyceum_audit_append_only ON auditlog_logentry;
DROP FUNCTION IF EXISTS lyceum_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)
        schema_editor.execute(TRIGGER)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_staff_permissions"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
