from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_institutions')]

    initial = False

    operations = [
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
