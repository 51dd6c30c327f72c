from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_institutions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InstitutionWebhook',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('institution', fields.OneToOneField('models.Institution', source_field='institution_id', db_constraint=True, to_field='id', related_name='webhook', on_delete=OnDelete.RESTRICT)),
                ('url', fields.CharField(max_length=500)),
                ('secret_cipher', fields.CharField(max_length=256)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'institution_webhook', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Where an institution wants its notices POSTed, and the secret that signs them (sealed:'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='delivery_report',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='lease_owner',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='message_id',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='template',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Voucher',
            index=Index(fields=['status', 'valid_until']),
        ),
    ]
