from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_one_consent_table')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AlipayPass',
            name='key_id',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
