"""Issue 21, item 8: online training platforms (线上培训平台).

A platform's registry entry is an institution (the new kind 线上培训平台) and its courses are
training classes; the new tables hold its scope, its signing keys, its course codes and hours, and
the study it reports (models/platforms.py). The kind is a plain VARCHAR(16) column: the new value
changes the migration state only (on SQLite an AlterField rebuilds the table and loses the
institution code's unique constraint; see 0017).

Table descriptions (a docstring's first line) carry no semicolon: SQLite's schema editor splits
statements on it, inside a comment too.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.institutions import InstitutionKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class AlterFieldState(ops.AlterField):
    """An AlterField for the migration state only: nothing in the database changes."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None

    async def database_backward(self, app_label, old_state, new_state, state_editor=None) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0023_evaluations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OnlinePlatform',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('institution', fields.OneToOneField('models.Institution', source_field='institution_id', db_constraint=True, to_field='id', related_name='online_platform', on_delete=OnDelete.RESTRICT)),
                ('project_types', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('occupations', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'online_platform', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What a platform may take: the project types (at least one) and the occupations (none listed:'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OnlineCourse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.ForeignKeyField('models.OnlinePlatform', source_field='platform_id', db_constraint=True, to_field='id', related_name='courses', on_delete=OnDelete.RESTRICT)),
                ('training_class', fields.OneToOneField('models.TrainingClass', source_field='training_class_id', db_constraint=True, to_field='id', related_name='online_course', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(max_length=32)),
                ('required_minutes', fields.IntField()),
            ],
            options={'table': 'online_course', 'app': 'models', 'unique_together': (('platform', 'code'),), 'pk_attr': 'id', 'table_description': 'A course of a platform: its training class, the code the platform gives it, and the study'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PlatformKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.ForeignKeyField('models.OnlinePlatform', source_field='platform_id', db_constraint=True, to_field='id', related_name='keys', on_delete=OnDelete.RESTRICT)),
                ('key_id', fields.CharField(max_length=32)),
                ('secret_cipher', fields.CharField(max_length=256)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retired_by_id', fields.IntField(null=True)),
                ('retired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'online_platform_key', 'app': 'models', 'unique_together': (('platform', 'key_id'),), 'pk_attr': 'id', 'table_description': 'A secret that signs the requests of a platform (HMAC-SHA256). The verifier needs the secret'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StudyReport',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.ForeignKeyField('models.OnlinePlatform', source_field='platform_id', db_constraint=True, to_field='id', related_name='study_reports', on_delete=OnDelete.RESTRICT)),
                ('report_id', fields.CharField(max_length=64)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='study_reports', on_delete=OnDelete.RESTRICT)),
                ('training_class', fields.ForeignKeyField('models.TrainingClass', source_field='training_class_id', db_constraint=True, to_field='id', related_name='study_reports', on_delete=OnDelete.RESTRICT)),
                ('unit', fields.CharField(max_length=64)),
                ('minutes', fields.IntField()),
                ('digest', fields.CharField(max_length=64)),
                ('reported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'online_study_report', 'app': 'models', 'unique_together': (('platform', 'report_id'),), 'indexes': [Index(fields=['voucher_id', 'training_class_id'])], 'pk_attr': 'id', 'table_description': 'One report of study in one unit of a course. The platform names each report: the same name'},
            bases=['Model'],
        ),
        AlterFieldState(
            model_name='Institution',
            name='kind',
            field=fields.CharEnumField(description='HIGHER_VOCATIONAL: 高职院校\nSECONDARY_VOCATIONAL: 中职院校\nTECHNICAL_SCHOOL: 技工院校\nINDUSTRY: 行业培训机构\nENTERPRISE: 企业培训中心\nPRIVATE_SCHOOL: 民办职业培训学校\nOTHER: 其他\nONLINE_PLATFORM: 线上培训平台', enum_type=InstitutionKind, max_length=16),
        ),
    ]

