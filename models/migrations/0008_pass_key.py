from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_settlement')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AlipayPass',
            name='key_id',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
