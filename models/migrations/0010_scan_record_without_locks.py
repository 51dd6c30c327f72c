"""The scan record keeps its voucher, staff and institution ids without foreign-key constraints.

A foreign-key check share-locks the referenced row: every scan record locked its voucher, its
staff member and the institution until its commit. Under load that meant a multixact and a WAL
record per referenced row for every scan (about 15% of the record insert's time and WAL), and a
deadlock: an enrolment holds its voucher FOR UPDATE and writes a nonce that a client's retry, in a
grouped insert, is already writing, while that insert waits on the voucher. The ids are those the
scan has just read, and none of those tables ever deletes a row (staff are marked removed), so
the constraint guarded nothing the code can do. PostgreSQL only: SQLite (tests, development) has
no concurrent writers and keeps its constraints, as dropping one there rebuilds the table.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

_CONSTRAINTS = {
    "institution_id": ("scan_record_institution_id_fkey", "institution"),
    "staff_id": ("scan_record_staff_id_fkey", "institution_staff"),
    "voucher_id": ("scan_record_voucher_id_fkey", "voucher"),
}


class AlterFieldState(ops.AlterField):
    """An AlterField for the migration state only; the database changes in RunPython below.
    Tortoise's SQLite editor alters a field by rebuilding the table, and its rebuild lost the
    unique (staff_id, nonce) constraint, which makes a repeated nonce write a second record."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


def _on_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


async def drop_constraints(apps, schema_editor) -> None:
    if _on_postgres(schema_editor):
        drops = ", ".join(f"DROP CONSTRAINT IF EXISTS {name}" for name, _ in _CONSTRAINTS.values())
        await schema_editor._run_sql(f"ALTER TABLE scan_record {drops}")


async def add_constraints(apps, schema_editor) -> None:
    if _on_postgres(schema_editor):
        adds = ", ".join(
            f"ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {table} (id) ON DELETE RESTRICT"
            for column, (name, table) in _CONSTRAINTS.items()
        )
        await schema_editor._run_sql(f"ALTER TABLE scan_record {adds}")


class Migration(migrations.Migration):
    dependencies = [("models", "0009_lesson_class_index")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="ScanRecord",
            name="institution",
            field=fields.ForeignKeyField(
                "models.Institution",
                source_field="institution_id",
                db_constraint=False,
                to_field="id",
                related_name="scans",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        AlterFieldState(
            model_name="ScanRecord",
            name="staff",
            field=fields.ForeignKeyField(
                "models.Staff",
                source_field="staff_id",
                db_constraint=False,
                to_field="id",
                related_name="scans",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        AlterFieldState(
            model_name="ScanRecord",
            name="voucher",
            field=fields.ForeignKeyField(
                "models.Voucher",
                source_field="voucher_id",
                null=True,
                db_constraint=False,
                to_field="id",
                related_name="scans",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.RunPython(drop_constraints, add_constraints),
    ]
