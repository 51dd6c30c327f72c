"""Issue 20: two-level settlement review and payment lists (拨付清单).

- `settlement_review_policy`: 1 or 2 review levels per region.
- `settlement_claim.first_reviewer_id` / `first_reviewed_at`, and the status `first_approved`
  (初审通过), 14 characters: the column widens from 10 to 16 (PostgreSQL; SQLite does not check
  a VARCHAR's length). A first-approved claim is open, so the partial unique index "one open claim
  per person and class" (0011) is rebuilt to include it.
- `payment_list` and `payment_list_line`.

The claim's new columns are added by RunPython, not Tortoise's AddField: on SQLite that rebuilds
the table and loses the partial unique index (see 0017).
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.payments import PaymentListStatus
from models.settlement import ClaimStatus, PayeeKind


class AddFieldState(ops.AddField):
    """An AddField for the migration state only; the column is added by RunPython below."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class AlterFieldState(ops.AlterField):
    """An AlterField for the migration state only; the column widens in RunPython below."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


def _on_postgres(schema_editor) -> bool:
    return schema_editor.client.capabilities.dialect == "postgres"


_OPEN_INDEX = """
    CREATE UNIQUE INDEX settlement_claim_one_per_person ON settlement_claim (person_id, training_class_id)
    WHERE status IN ({statuses})
"""


async def forward(apps, schema_editor) -> None:
    run = schema_editor._run_sql
    if _on_postgres(schema_editor):
        await run("ALTER TABLE settlement_claim ALTER COLUMN status TYPE VARCHAR(16)")
    await run("ALTER TABLE settlement_claim ADD COLUMN first_reviewer_id INT")
    await run("ALTER TABLE settlement_claim ADD COLUMN first_reviewed_at TIMESTAMP" + _tz(schema_editor))
    await run("DROP INDEX IF EXISTS settlement_claim_one_per_person")
    await run(_OPEN_INDEX.format(statuses="'pending', 'first_approved', 'approved'"))


async def backward(apps, schema_editor) -> None:
    run = schema_editor._run_sql
    # A first-approved claim goes back to pending: the old code knows no other open state.
    await run("UPDATE settlement_claim SET status = 'pending' WHERE status = 'first_approved'")
    await run("DROP INDEX IF EXISTS settlement_claim_one_per_person")
    await run(_OPEN_INDEX.format(statuses="'pending', 'approved'"))
    await run("ALTER TABLE settlement_claim DROP COLUMN first_reviewed_at")
    await run("ALTER TABLE settlement_claim DROP COLUMN first_reviewer_id")
    if _on_postgres(schema_editor):
        await run("ALTER TABLE settlement_claim ALTER COLUMN status TYPE VARCHAR(10)")


def _tz(schema_editor) -> str:
    return " WITH TIME ZONE" if _on_postgres(schema_editor) else ""


class Migration(migrations.Migration):
    dependencies = [("models", "0018_history_chain")]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaymentList',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='payment_lists', on_delete=OnDelete.RESTRICT)),
                ('payee_kind', fields.CharEnumField(description='TRAINEE: trainee\nINSTITUTION: institution\nEMPLOYER: employer', enum_type=PayeeKind, max_length=12)),
                ('payee_key', fields.CharField(max_length=120)),
                ('payee_name', fields.CharField(max_length=100)),
                ('institution_id', fields.IntField(null=True)),
                ('total_fen', fields.BigIntField()),
                ('line_count', fields.IntField()),
                ('status', fields.CharEnumField(default=PaymentListStatus.DRAFTED, description='DRAFTED: drafted\nPAID: paid\nCANCELLED: cancelled', enum_type=PaymentListStatus, max_length=10)),
                ('payment_ref', fields.CharField(null=True, max_length=64)),
                ('created_by_id', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paid_by_id', fields.IntField(null=True)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_by_id', fields.IntField(null=True)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_list', 'app': 'models', 'indexes': [Index(fields=['region_id', 'status'])], 'pk_attr': 'id', 'table_description': "One payee's list in one region: an institution, an employer, or the trainees' own"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentListLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payment_list', fields.ForeignKeyField('models.PaymentList', source_field='payment_list_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.RESTRICT)),
                ('claim', fields.ForeignKeyField('models.SettlementClaim', source_field='claim_id', db_constraint=True, to_field='id', related_name='payment_lines', on_delete=OnDelete.RESTRICT)),
                ('amount_fen', fields.BigIntField()),
                ('live', fields.BooleanField(null=True, default=True)),
            ],
            options={'table': 'payment_list_line', 'app': 'models', 'unique_together': (('claim', 'live'),), 'pk_attr': 'id', 'table_description': 'One approved claim on a list. A cancelled list keeps its lines (nothing is deleted) with'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewPolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('region', fields.OneToOneField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='review_policy', on_delete=OnDelete.RESTRICT)),
                ('levels', fields.SmallIntField()),
                ('updated_by_id', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'settlement_review_policy', 'app': 'models', 'pk_attr': 'id', 'table_description': "How many bureau reviewers a region's settlement claims need: 1, or 2 (初审 and 复审, by two"},
            bases=['Model'],
        ),
        AlterFieldState(
            model_name="SettlementClaim",
            name="status",
            field=fields.CharEnumField(
                default=ClaimStatus.PENDING,
                description="PENDING: pending\nFIRST_APPROVED: first_approved\nAPPROVED: approved\nREJECTED: rejected\nFAILED: failed",
                enum_type=ClaimStatus,
                max_length=16,
            ),
        ),
        AddFieldState(model_name="SettlementClaim", name="first_reviewer_id", field=fields.IntField(null=True)),
        AddFieldState(model_name="SettlementClaim", name="first_reviewed_at", field=fields.DatetimeField(null=True)),
        ops.RunPython(forward, backward),
    ]
