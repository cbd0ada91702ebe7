"""Full-text search on PostgreSQL: a trigger keeps Course.search_vector in step with the text it is built
from (whoever writes the row: services, admin, seeds, factories) and a GIN index serves the search.
SQLite has neither and the catalogue falls back to a simple LIKE there."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION marketplace_course_search_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.subtitle, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS marketplace_course_search ON marketplace_course;
CREATE TRIGGER marketplace_course_search
  BEFORE INSERT OR UPDATE OF title, subtitle, description, search_vector ON marketplace_course
  FOR EACH ROW EXECUTE FUNCTION marketplace_course_search_update();
UPDATE marketplace_course SET title = title;
CREATE INDEX IF NOT EXISTS marketplace_course_search_gin ON marketplace_course USING gin (search_vector);
"""

DROP = """
DROP INDEX IF EXISTS marketplace_course_search_gin;
DROP TRIGGER IF EXISTS marketplace_course_search ON marketplace_course;
DROP FUNCTION IF EXISTS marketplace_course_search_update();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
