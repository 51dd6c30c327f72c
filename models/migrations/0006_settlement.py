from tortoise import migrations
from tortoise.migrations import operations as ops
from models.settlement import ClaimStatus, PayeeKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_worker')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Certificate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='certificates', on_delete=OnDelete.RESTRICT)),
                ('claim_id', fields.BigIntField(null=True, unique=True)),
                ('kind', fields.CharField(max_length=32)),
                ('number', fields.CharField(max_length=64)),
                ('level', fields.CharField(null=True, max_length=32)),
                ('occupation', fields.CharField(null=True, max_length=64)),
                ('project_type', fields.CharField(null=True, max_length=32)),
                ('institution_name', fields.CharField(null=True, max_length=100)),
                ('class_name', fields.CharField(null=True, max_length=100)),
                ('voucher_code', fields.CharField(null=True, max_length=24)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'certificate', 'app': 'models', 'unique_together': (('person', 'kind', 'number'),), 'pk_attr': 'id', 'table_description': "An entry of the person's lifelong training archive, from an approved assessment."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SettlementClaim',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='settlement_claims', on_delete=OnDelete.RESTRICT)),
                ('batch_id', fields.IntField(db_index=True)),
                ('training_class', fields.ForeignKeyField('models.TrainingClass', source_field='training_class_id', db_constraint=True, to_field='id', related_name='settlement_claims', on_delete=OnDelete.RESTRICT)),
                ('institution', fields.ForeignKeyField('models.Institution', source_field='institution_id', db_constraint=True, to_field='id', related_name='settlement_claims', on_delete=OnDelete.RESTRICT)),
                ('passed', fields.BooleanField()),
                ('certificate_kind', fields.CharField(null=True, max_length=32)),
                ('certificate_number', fields.CharField(null=True, max_length=64)),
                ('certificate_level', fields.CharField(null=True, max_length=32)),
                ('standard_fen', fields.BigIntField(default=0)),
                ('ratio_permille', fields.IntField(default=0)),
                ('subsidy_fen', fields.BigIntField(default=0)),
                ('status', fields.CharEnumField(default=ClaimStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREJECTED: rejected\nFAILED: failed', enum_type=ClaimStatus, max_length=10)),
                ('submitted_by_id', fields.IntField()),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_by_id', fields.IntField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('reason', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'settlement_claim', 'app': 'models', 'indexes': [Index(fields=['status', 'training_class_id']), Index(fields=['voucher_id', 'status'])], 'pk_attr': 'id', 'table_description': "One trainee's assessment result submitted by the institution, and the bureau's decision."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payee',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('claim', fields.OneToOneField('models.SettlementClaim', source_field='claim_id', db_constraint=True, to_field='id', related_name='payee', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='TRAINEE: trainee\nINSTITUTION: institution\nEMPLOYER: employer', enum_type=PayeeKind, max_length=12)),
                ('person_id', fields.BigIntField(null=True)),
                ('institution_id', fields.IntField(null=True)),
                ('employer_name', fields.CharField(null=True, max_length=100)),
                ('amount_fen', fields.BigIntField()),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'settlement_payee', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Who receives the subsidy of an approved claim.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubsidyRatio',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='subsidy_ratios', on_delete=OnDelete.RESTRICT)),
                ('eligible_group', fields.CharField(max_length=32)),
                ('ratio_permille', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subsidy_ratio', 'app': 'models', 'unique_together': (('region', 'eligible_group'),), 'pk_attr': 'id', 'table_description': 'The share of the standard paid for a trainee of an eligible group, in per mille.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubsidyStandard',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='subsidy_standards', on_delete=OnDelete.RESTRICT)),
                ('project_type', fields.CharField(max_length=32)),
                ('occupation', fields.CharField(default='', max_length=64)),
                ('level', fields.CharField(default='', max_length=32)),
                ('amount_fen', fields.BigIntField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'subsidy_standard', 'app': 'models', 'unique_together': (('region', 'project_type', 'occupation', 'level'),), 'pk_attr': 'id', 'table_description': "The bureau's subsidy standard in fen for a project type, occupation and level. Empty"},
            bases=['Model'],
        ),
    ]
