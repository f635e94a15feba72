from django.db import migrations

# PostgreSQL keeps the token vector itself (a generated column Django never reads or
# writes), so matching and ranking do not re-tokenize each row. SQLite has none.
VECTOR = (
    "setweight(to_tsvector('simple', search_title), 'A') || "
    "to_tsvector('simple', search_text)"
)


def add_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS registry_agreement_search")
    schema_editor.execute(
        "ALTER TABLE registry_agreement ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({VECTOR}) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX registry_agreement_search_vector ON registry_agreement "
        "USING gin (search_vector)"
    )


def remove_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE registry_agreement DROP COLUMN search_vector")
    schema_editor.execute(
        "CREATE INDEX registry_agreement_search ON registry_agreement "
        f"USING gin (({VECTOR.replace('search_', 'registry_agreement.search_')}))"
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_search_index_version")]
    operations = [migrations.RunPython(add_vector, remove_vector)]
