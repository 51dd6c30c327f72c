from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StaffBindToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('staff_id', fields.BigIntField(db_index=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wechat_staff_bind_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A single-use token put in a parameterised QR code (scene staff:<token>). Only its hash'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffBinding',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('staff_id', fields.BigIntField(db_index=True)),
                ('app_id', fields.CharField(max_length=64)),
                ('openid', fields.CharField(max_length=128)),
                ('bound_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'wechat_staff_binding', 'app': 'models', 'unique_together': (('app_id', 'openid'),), 'pk_attr': 'id', 'table_description': 'An Official Account follower who receives notices as an institution staff member.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SubscriptionConsent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.ChannelAccount', source_field='account_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.RESTRICT)),
                ('template_id', fields.CharField(max_length=64)),
                ('remaining', fields.IntField(default=0)),
                ('long_term', fields.BooleanField(default=False)),
                ('refused_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'wechat_subscription_consent', 'app': 'models', 'unique_together': (('account', 'template_id'),), 'pk_attr': 'id', 'table_description': 'What a mini-program account allowed through wx.requestSubscribeMessage, per template.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WechatDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('msg_id', fields.CharField(unique=True, max_length=64)),
                ('outbox', fields.ForeignKeyField('models.OutboxMessage', source_field='outbox_id', db_constraint=True, to_field='id', related_name='wechat_deliveries', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(default='accepted', max_length=32)),
                ('reported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'wechat_delivery', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A message WeChat accepted for an outbox row, and what its delivery report said.'},
            bases=['Model'],
        ),
    ]
