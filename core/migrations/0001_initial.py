"""Take over the outbox's model from the project package; its table stays where it is."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("admin_portal", "0001_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.CreateModel(
            name='OutboundMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('sms', 'SMS'), ('email', 'Email')], max_length=8, verbose_name='channel')),
                ('kind', models.CharField(max_length=60, verbose_name='kind')),
                ('recipients', models.TextField(verbose_name='recipients')),
                ('reference', models.CharField(blank=True, db_index=True, max_length=100, verbose_name='reference')),
                ('secret', models.BooleanField(default=False, verbose_name='carries a secret')),
                ('payload', models.TextField(blank=True, editable=False, verbose_name='sealed text')),
                ('status', models.CharField(choices=[('queued', 'Waiting to be sent'), ('sent', 'Sent'), ('dead', 'Given up')], default='queued', max_length=8, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.CharField(blank=True, max_length=300, verbose_name='last error')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt')),
                ('deadline', models.DateTimeField(verbose_name='give up at')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
            ],
            options={
                'verbose_name': 'outbound message',
                'verbose_name_plural': 'outbound messages',
                'ordering': ['-created_at', '-pk'],
                'db_table': 'admin_portal_outboundmessage',
                'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='outbox_due_idx')],
            },
        ),
            ],
            database_operations=[],
        ),
    ]
