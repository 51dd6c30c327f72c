from tortoise import migrations
from tortoise.migrations import operations as ops
from models.alipay import PassState
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_wechat')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AlipayNotification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notify_id', fields.CharField(unique=True, max_length=128)),
                ('kind', fields.CharField(max_length=64)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alipay_notification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A gateway notification handled once. Alipay retries with the same notify_id until it'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlipayPass',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('voucher', fields.OneToOneField('models.Voucher', source_field='voucher_id', db_constraint=True, to_field='id', related_name='alipay_pass', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.ChannelAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='alipay_passes', on_delete=OnDelete.RESTRICT)),
                ('serial_number', fields.CharField(unique=True, max_length=32)),
                ('state', fields.CharEnumField(default=PassState.ACTIVE, description='ACTIVE: active\nUSED: used\nCLOSED: closed', enum_type=PassState, max_length=10)),
                ('added_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'alipay_pass', 'app': 'models', 'pk_attr': 'id', 'table_description': "A voucher in one Alipay user's card pack. `state` is what we last asked Alipay to show,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlipayPassTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('batch', fields.OneToOneField('models.Batch', source_field='batch_id', db_constraint=True, to_field='id', related_name='alipay_template', on_delete=OnDelete.RESTRICT)),
                ('tpl_id', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'alipay_pass_template', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The card-pack template of one batch. tpl_id is null until Alipay has created it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlipaySubscriptionConsent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ChannelAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='alipay_consents', on_delete=OnDelete.RESTRICT)),
                ('template_id', fields.CharField(max_length=64)),
                ('remaining', fields.IntField(default=0)),
                ('long_term', fields.BooleanField(default=False)),
                ('refused_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'alipay_subscription_consent', 'app': 'models', 'unique_together': (('account', 'template_id'),), 'pk_attr': 'id', 'table_description': 'What an Alipay account allowed through my.requestSubscribeMessage, per template.'},
            bases=['Model'],
        ),
    ]
