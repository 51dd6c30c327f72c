from tortoise import migrations
from tortoise.migrations import operations as ops

# One subscribe-message consent table for every channel. The WeChat table becomes the shared
# `subscription_consent` (PostgreSQL keeps its sequence and constraint names, wechat_subscription_
# consent_*: Tortoise finds constraints by introspection, and a fresh database passes through 0002
# too, so every database ends up alike). Alipay's rows are copied in before its table is dropped.
# Account ids are unique across channels, so no copied row can meet a WeChat one; DO NOTHING is
# only the guard. SQLite needs the WHERE for an upsert of a SELECT.
COPY_ALIPAY_ROWS = """
INSERT INTO subscription_consent (account_id, template_id, remaining, long_term, refused_at, updated_at)
SELECT account_id, template_id, remaining, long_term, refused_at, updated_at
FROM alipay_subscription_consent WHERE true
ON CONFLICT (account_id, template_id) DO NOTHING
"""

# Backwards: Alipay accounts' rows go back to the table DeleteModel re-creates.
RESTORE_ALIPAY_ROWS = [
    """
    INSERT INTO alipay_subscription_consent (account_id, template_id, remaining, long_term, refused_at, updated_at)
    SELECT c.account_id, c.template_id, c.remaining, c.long_term, c.refused_at, c.updated_at
    FROM subscription_consent c JOIN channel_account a ON a.id = c.account_id WHERE a.channel = 'alipay'
    """,
    """
    DELETE FROM subscription_consent
    WHERE account_id IN (SELECT id FROM channel_account WHERE channel = 'alipay')
    """,
]


class Migration(migrations.Migration):
    dependencies = [('models', '0006_settlement')]

    initial = False

    operations = [
        ops.RunSQL(
            'ALTER TABLE wechat_subscription_consent RENAME TO subscription_consent',
            reverse_sql='ALTER TABLE subscription_consent RENAME TO wechat_subscription_consent',
        ),
        ops.AlterModelOptions(
            name='SubscriptionConsent',
            options={'table': 'subscription_consent', 'app': 'models', 'unique_together': (('account', 'template_id'),), 'pk_attr': 'id', 'table_description': "What an account allowed through its mini program's subscribe-message request, per template."},
        ),
        ops.RunSQL(COPY_ALIPAY_ROWS, reverse_sql=RESTORE_ALIPAY_ROWS),
        ops.DeleteModel(name='AlipaySubscriptionConsent'),
    ]
