"""Household data collection: a notice may ask up to ten questions (选择, 数字, 简短文字), and
each household of its audience answers once — a member, its 亲情账号, or its area's officer at
the door. Answers are facts: never changed or deleted (triggers), visible to the village's
cadres and the household's own officer only."""

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable

from village import keys
from village.models import Household, Villager, proxy_field

MOST_QUESTIONS = 10
MOST_OPTIONS = 10
TEXT_LIMIT = 100
NUMBER_LIMIT = 1_000_000


class QuestionKind(models.TextChoices):
    CHOICE = "choice", _("单选")
    NUMBER = "number", _("数字")
    TEXT = "text", _("简短文字")


class NoticeQuestion(Orderable):
    notice = ParentalKey("pages.NoticePage", on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("问题"), max_length=200)
    kind = models.CharField(
        _("回答方式"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.CHOICE
    )
    options = models.TextField(
        _("选项"), blank=True, help_text=_("单选题每行写一个选项，例如：是 / 否。")
    )

    panels = [FieldPanel("text"), FieldPanel("kind"), FieldPanel("options")]

    class Meta(Orderable.Meta):
        verbose_name = _("户情问题")
        verbose_name_plural = _("户情问题")

    def __str__(self):
        return self.text

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    def clean(self):
        options = self.option_list()
        if self.kind == QuestionKind.CHOICE:
            if len(options) < 2:
                raise ValidationError({"options": _("单选题至少要有两个选项，每行一个。")})
            if len(options) > MOST_OPTIONS or len(set(options)) != len(options):
                raise ValidationError({"options": _("选项最多 %d 个，且不能重复。") % MOST_OPTIONS})
            if any(len(option) > 30 for option in options):
                raise ValidationError({"options": _("每个选项不超过 30 个字。")})

    def parse(self, raw) -> str:
        """The answer as stored (text), or a ValidationError that says what is wanted."""
        value = str(raw if raw is not None else "").strip()
        if not value:
            raise ValidationError(_("请回答：%s") % self.text)
        if self.kind == QuestionKind.CHOICE and value not in self.option_list():
            raise ValidationError(
                _("“%(q)s”请从这些选项中选一个：%(o)s。")
                % {"q": self.text, "o": "、".join(self.option_list())}
            )
        if self.kind == QuestionKind.NUMBER:
            if not (value.isascii() and value.isdigit()) or int(value) > NUMBER_LIMIT:
                raise ValidationError(_("“%s”请填一个整数（0 或以上）。") % self.text)
            value = str(int(value))
        if self.kind == QuestionKind.TEXT and len(value) > TEXT_LIMIT:
            raise ValidationError(
                _("“%(q)s”的回答不超过 %(n)d 字。") % {"q": self.text, "n": TEXT_LIMIT}
            )
        return value


class AnswerWay(models.TextChoices):
    MEMBER = "member", _("本户填写")
    PROXY = "proxy", _("亲情账号代填")
    AT_DOOR = "at_door", _("网格员上门代答")


class HouseholdAnswer(models.Model):
    notice = models.ForeignKey(
        "pages.NoticePage", on_delete=models.PROTECT, related_name="household_answers"
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    # [{"question": pk, "text": the question as asked, "value": the answer}] in the notice's
    # order: the question's words are kept with the answer, whatever the notice says later.
    answers = models.JSONField()
    way = models.CharField(_("回答方式"), max_length=10, choices=AnswerWay.choices)
    villager = models.ForeignKey(
        Villager, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proxy = proxy_field()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("回答时间"), default=timezone.now)

    class Meta:
        verbose_name = _("户情回答")
        verbose_name_plural = _("户情回答")
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "household"], name="answer_once_per_household"
            )
        ]

    def __str__(self):
        return f"{self.notice_id}:{self.household_id}"

    def value_of(self, question_id: int) -> str:
        return next((a["value"] for a in self.answers if a["question"] == question_id), "")


# The purpose the answers' key is derived for (village/keys.py).
ANSWERS_KEY = "household-answers"


def _answers_text(answers: list[dict]) -> str:
    return json.dumps(answers, ensure_ascii=False, sort_keys=True)


def answers_digest(answers: list[dict]) -> tuple[str, str]:
    """(key id, fingerprint) of a household's answers, written into the chain with them: an
    HMAC under the installation's integrity key, so that whoever reads the chain (the
    supervision committee, the township) cannot try every answer against it — a yes/no and a
    small number are few guesses."""
    return keys.seal(ANSWERS_KEY, _answers_text(answers))


def answers_match(answers: list[dict], *, key_id: str, mac: str) -> bool:
    """Do `answers` still have the fingerprint the chain holds for them?"""
    return keys.seal_ok(ANSWERS_KEY, _answers_text(answers), key_id=key_id, mac=mac)
