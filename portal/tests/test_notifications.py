import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction

from portal import notifications
from portal.models import SentNotification
from portal.tests.factories import UserFactory

TEMPLATE = "portal/heartbeat"


class RefusingBackend(LocmemBackend):
    """A mail server that is down: the one thing outside our code we stand in for."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server unreachable")


def _notify(key, to):
    notifications.notify(key=key, to=to, template=TEMPLATE, context={})


@pytest.mark.django_db
def test_notify_inside_a_transaction_sends_nothing_until_commit(employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            _notify("check:1", [employee])
            assert mail.outbox == []
        assert mail.outbox == [], "sent before the outer transaction committed"
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["emma@example.com"]]
    assert SentNotification.objects.get(key="check:1:emma@example.com").sent_at is not None


@pytest.mark.django_db
def test_mail_has_a_subject_a_text_body_and_an_html_alternative(employee, settings, django_capture_on_commit_callbacks):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        _notify("check:2", [employee])
    [message] = mail.outbox
    assert message.subject == "Portal mail check"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert "https://portal.example.org" in message.body
    assert "<" not in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert '<a href="https://portal.example.org/">' in html


@pytest.mark.django_db
def test_users_and_addresses_are_mailed_once_each_and_users_without_email_are_skipped(
    employee, django_capture_on_commit_callbacks
):
    no_email = UserFactory(username="noel", email="")
    with django_capture_on_commit_callbacks(execute=True):
        _notify("check:3", [employee, "emma@example.com", "dpo@example.com", no_email])
    assert sorted(m.to[0] for m in mail.outbox) == ["dpo@example.com", "emma@example.com"]


@pytest.mark.django_db
def test_nobody_is_mailed_at_all_when_no_recipient_has_an_address(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _notify("check:4", [UserFactory(username="noel", email="")])
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_second_delivery_of_the_same_key_mails_nobody_twice(employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notify("check:5", [employee, "dpo@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        # The same event again (a retried task), now with one more person.
        _notify("check:5", [employee, "dpo@example.com", "ciso@example.com"])
    assert sorted(m.to[0] for m in mail.outbox) == ["ciso@example.com", "dpo@example.com", "emma@example.com"]
    assert SentNotification.objects.filter(key__startswith="check:5:").count() == 3
    # Calling the task's body directly again (a duplicated message) sends nothing.
    assert notifications.deliver(key="check:5", recipients=["dpo@example.com"], template=TEMPLATE, context={}) == 0
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_different_key_is_a_different_event_and_is_sent(employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _notify("check:6", [employee])
        _notify("check:7", [employee])
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_rolled_back_transaction_sends_nothing(employee, django_capture_on_commit_callbacks):
    with (  # noqa: PT012 - the raise inside rolls the transaction back
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _notify("check:8", [employee])
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not SentNotification.objects.exists()


@pytest.mark.django_db
def test_a_failed_send_is_not_recorded_so_the_retry_sends_it(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with pytest.raises(ConnectionRefusedError):
        notifications.deliver(key="check:9", recipients=["dpo@example.com"], template=TEMPLATE, context={})
    assert not SentNotification.objects.filter(sent_at__isnull=False).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.deliver(key="check:9", recipients=["dpo@example.com"], template=TEMPLATE, context={}) == 1
    assert [m.to for m in mail.outbox] == [["dpo@example.com"]]


class LockedTwiceBackend(LocmemBackend):
    """SQLite's "database is locked" surfacing while a mail goes out (the web process holds the write lock)."""

    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= 2:
            from django.db import OperationalError

            raise OperationalError("database is locked")
        return super().send_messages(messages)


@pytest.mark.django_db
def test_a_locked_database_is_retried_until_the_mail_goes_out_once(employee, settings, monkeypatch):
    from portal.tasks import send_notification_task

    # Eager retries re-run in place only when eager errors are not propagated (as a worker would).
    monkeypatch.setitem(send_notification_task.app.conf, "task_eager_propagates", False)
    settings.EMAIL_BACKEND = f"{__name__}.LockedTwiceBackend"
    LockedTwiceBackend.calls = 0
    # The task as the worker runs it: Celery's own retry machinery, eagerly (no countdown wait).
    result = send_notification_task.apply(
        kwargs={
            "key": "check:10",
            "recipients": ["emma@example.com", "dpo@example.com"],
            "template": TEMPLATE,
            "context": {},
        },
        throw=False,
    )
    assert result.successful(), result.traceback
    # emma's mail hit the lock twice and went out on the third try; nobody was mailed twice.
    assert LockedTwiceBackend.calls == 4
    assert sorted(m.to[0] for m in mail.outbox) == ["dpo@example.com", "emma@example.com"]
    assert SentNotification.objects.filter(key__startswith="check:10:", sent_at__isnull=False).count() == 2


def test_the_mail_task_retries_a_busy_database_with_backoff():
    from django.db import OperationalError

    from portal.tasks import send_notification_task

    assert OperationalError in send_notification_task.autoretry_for
    assert send_notification_task.retry_backoff
    assert send_notification_task.max_retries >= 5
