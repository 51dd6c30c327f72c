from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.institutions import Datum, InstitutionKind, StaffRole
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_alipay')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Institution',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=7)),
                ('name', fields.CharField(max_length=100)),
                ('region', fields.ForeignKeyField('models.Region', source_field='region_id', db_constraint=True, to_field='code', related_name='institutions', on_delete=OnDelete.RESTRICT)),
                ('address', fields.CharField(max_length=200)),
                ('phone', fields.CharField(max_length=32)),
                ('kind', fields.CharEnumField(description='HIGHER_VOCATIONAL: 高职院校\nSECONDARY_VOCATIONAL: 中职院校\nTECHNICAL_SCHOOL: 技工院校\nINDUSTRY: 行业培训机构\nENTERPRISE: 企业培训中心\nPRIVATE_SCHOOL: 民办职业培训学校\nOTHER: 其他', enum_type=InstitutionKind, max_length=16)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'institution', 'app': 'models', 'pk_attr': 'id', 'table_description': "A training institution of the registry (Chongqing's form). The commissioner is a staff"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Staff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('institution', fields.ForeignKeyField('models.Institution', source_field='institution_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.RESTRICT)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('password_hash', fields.CharField(max_length=256)),
                ('display_name', fields.CharField(default='', max_length=64)),
                ('role', fields.CharEnumField(default=StaffRole.SCANNER, description='COMMISSIONER: commissioner\nSCANNER: scanner', enum_type=StaffRole, max_length=16)),
                ('id_hash', fields.CharField(null=True, max_length=64)),
                ('id_cipher', fields.CharField(null=True, max_length=128)),
                ('name_cipher', fields.CharField(null=True, max_length=512)),
                ('active', fields.BooleanField(default=True)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('token_version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'institution_staff', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Someone of an institution who may log in and scan. Removal keeps the row (scans point at'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScanRecord',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('institution', fields.ForeignKeyField('models.Institution', source_field='institution_id', db_constraint=True, to_field='id', related_name='scans', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('models.Staff', source_field='staff_id', db_constraint=True, to_field='id', related_name='scans', on_delete=OnDelete.RESTRICT)),
                ('nonce', fields.CharField(max_length=64)),
                ('device', fields.CharField(max_length=64)),
                ('action', fields.CharField(max_length=8)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', null=True, db_constraint=True, to_field='id', related_name='scans', on_delete=OnDelete.RESTRICT)),
                ('class_id', fields.IntField(null=True)),
                ('lesson_id', fields.IntField(null=True)),
                ('result', fields.CharField(max_length=8)),
                ('reason', fields.CharField(null=True, max_length=32)),
                ('answer', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('scanned_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('annulled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'scan_record', 'app': 'models', 'unique_together': (('staff', 'nonce'),), 'pk_attr': 'id', 'table_description': 'Every scan, failed ones too: who, on which device, what it answered. The answer is kept'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TeachingSite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('institution', fields.ForeignKeyField('models.Institution', source_field='institution_id', db_constraint=True, to_field='id', related_name='sites', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('latitude', fields.FloatField()),
                ('longitude', fields.FloatField()),
                ('datum', fields.CharEnumField(description='WGS84: wgs84\nGCJ02: gcj02', enum_type=Datum, max_length=8)),
                ('radius_m', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'teaching_site', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A place where lessons happen, with the fence used by location check-in.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrainingClass',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('institution', fields.ForeignKeyField('models.Institution', source_field='institution_id', db_constraint=True, to_field='id', related_name='classes', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('project_type', fields.CharField(max_length=32)),
                ('occupation', fields.CharField(null=True, max_length=64)),
                ('start_date', fields.DateField()),
                ('end_date', fields.DateField()),
                ('site_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('capacity', fields.IntField()),
                ('enrolled', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'training_class', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A training class (培训班). `enrolled` is kept in step with active enrolments under the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Enrolment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='enrolments', on_delete=OnDelete.RESTRICT)),
                ('training_class', fields.ForeignKeyField('models.TrainingClass', source_field='training_class_id', db_constraint=True, to_field='id', related_name='enrolments', on_delete=OnDelete.RESTRICT)),
                ('scan_id', fields.BigIntField(null=True)),
                ('enrolled_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('annulled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'enrolment', 'app': 'models', 'indexes': [Index(fields=['voucher_id', 'annulled_at'])], 'pk_attr': 'id', 'table_description': 'A voucher bound to a class (用券). Annulment keeps the row and marks it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Lesson',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('training_class', fields.ForeignKeyField('models.TrainingClass', source_field='training_class_id', db_constraint=True, to_field='id', related_name='lessons', on_delete=OnDelete.RESTRICT)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('checkin_opens_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('checkin_closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'lesson', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One lesson of a class, check-in is accepted inside [checkin_opens_at, checkin_closes_at).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Attendance',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.RESTRICT)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='attendance', on_delete=OnDelete.RESTRICT)),
                ('method', fields.CharField(max_length=8)),
                ('scan_id', fields.BigIntField(null=True)),
                ('location_checkin_id', fields.BigIntField(null=True)),
                ('checked_in_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('annulled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attendance', 'app': 'models', 'unique_together': (('lesson', 'voucher'),), 'pk_attr': 'id', 'table_description': 'A trainee present at a lesson: once per lesson and voucher.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LocationCheckin',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('voucher', fields.ForeignKeyField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='location_checkins', on_delete=OnDelete.RESTRICT)),
                ('lesson', fields.ForeignKeyField('models.Lesson', source_field='lesson_id', db_constraint=True, to_field='id', related_name='location_checkins', on_delete=OnDelete.RESTRICT)),
                ('site_id', fields.IntField()),
                ('coord_type', fields.CharEnumField(description='WGS84: wgs84\nGCJ02: gcj02', enum_type=Datum, max_length=8)),
                ('latitude', fields.FloatField()),
                ('longitude', fields.FloatField()),
                ('accuracy_m', fields.FloatField()),
                ('site_latitude', fields.FloatField()),
                ('site_longitude', fields.FloatField()),
                ('distance_m', fields.FloatField()),
                ('allowed_m', fields.FloatField()),
                ('inside', fields.BooleanField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'location_checkin', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Every location check-in attempt with raw and converted coordinates and the distance.'},
            bases=['Model'],
        ),
    ]
