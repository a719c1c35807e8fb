"""The outbox: what the platform tells people, and how each telling went.

A `Notification` is one event told (a notice published, a vote opened …), once per village and
key. It is written with one `Delivery` row per recipient and channel in the event's own
transaction; `db_worker` tasks send the rows that need sending (village/services/outbox.py).
An inbox delivery is the message itself: it is there the moment it is written."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roster import Household, Villager
from .tenancy import Village


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    PUSH = "push", _("手机推送")
    SMS = "sms", _("短信")


# Channels a worker sends through; the inbox needs no sending.
SENT_CHANNELS = (Channel.PUSH, Channel.SMS)


class NotificationKind(models.TextChoices):
    NOTICE = "notice", _("通知公告")
    VOTE_OPENED = "vote_opened", _("投票开始")
    VOTE_CLOSING = "vote_closing", _("投票即将截止")
    POINTS_PUBLISHED = "points_published", _("积分公示")
    POINTS_CLOSING = "points_closing", _("积分公示即将截止")
    OBJECTION_ANSWERED = "objection_answered", _("异议答复")
    SAYING_ANSWERED = "saying_answered", _("村民说事答复")
    GRID_EVENT = "grid_event", _("随手拍事件")


class Notification(models.Model):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="notifications", verbose_name=_("村")
    )
    # What was told, once: "notice:12", "vote-closing:7". A second telling of the same event
    # finds the first (the unique constraint below), so a re-published notice is told once.
    key = models.CharField(_("事件"), max_length=80)
    kind = models.CharField(_("类别"), max_length=24, choices=NotificationKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    # Urgent safety messages go out at night too and past a villager's opt-out.
    urgent = models.BooleanField(_("紧急"), default=False)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    send_after = models.DateTimeField(_("发送时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        constraints = [
            models.UniqueConstraint(fields=["village", "key"], name="notification_once"),
        ]

    def __str__(self):
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("失败")
    SKIPPED = "skipped", _("未发送")
    # The worker stopped between handing the message over and writing the answer: whether it
    # arrived is not known, and it is not sent again (it may have been).
    UNKNOWN = "unknown", _("结果未知")


class PushSubscription(models.Model):
    """One device's Web Push subscription (the browser's `PushSubscription` as JSON)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(_("推送地址"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(_("设备"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("推送订阅")
        verbose_name_plural = _("推送订阅")

    def __str__(self):
        return f"{self.user_id}: {self.user_agent[:40]}"


class Delivery(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.PROTECT, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    # Who, per channel: "u<user>" for the inbox, "s<subscription>" for a device, "v<villager>"
    # for a phone. One row per notification, channel and recipient, so one sending each.
    recipient = models.CharField(max_length=24)
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    error = models.CharField(_("失败原因"), max_length=500, blank=True)
    provider_ref = models.CharField(_("服务商回执"), max_length=100, blank=True)
    segments = models.PositiveSmallIntegerField(_("计费条数"), default=0)
    # The last attempt timed out after the request left: the provider may have taken it, so
    # the next attempt asks the provider before sending again.
    uncertain = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel", "recipient"], name="delivery_once"
            ),
            models.CheckConstraint(
                condition=~Q(channel="inbox") | Q(user__isnull=False), name="delivery_inbox_user"
            ),
            models.CheckConstraint(
                condition=~Q(channel="sms") | ~Q(phone=""), name="delivery_sms_phone"
            ),
        ]
        indexes = [
            # The worker's due rows; the partial index stays as small as the queue.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status="pending"),
            ),
            # Rows a stopped worker left "sending": as small as the rows in flight.
            models.Index(
                fields=["claimed_at"],
                name="delivery_in_flight",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["user", "channel", "-id"], name="delivery_inbox"),
            models.Index(fields=["notification", "channel", "status"], name="delivery_report"),
        ]

    def __str__(self):
        return f"{self.notification_id}:{self.channel}:{self.recipient}"


class ReachPreference(models.Model):
    """A villager's choice of channels. The inbox cannot be switched off (it is the record);
    urgent safety messages reach everyone."""

    villager = models.OneToOneField(
        Villager, on_delete=models.PROTECT, related_name="reach_preference"
    )
    push = models.BooleanField(_("接收手机推送"), default=True)
    sms = models.BooleanField(_("接收短信"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("消息偏好")
        verbose_name_plural = _("消息偏好")

    def __str__(self):
        return f"{self.villager_id}: push={self.push} sms={self.sms}"


class SmsMonth(models.Model):
    """Text messages a village has sent in one month, held against its budget."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # the first day of the month
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["village", "month"], name="sms_month_once"),
        ]

    def __str__(self):
        return f"{self.village_id} {self.month:%Y-%m}: {self.used}"
