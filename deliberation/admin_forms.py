"""The implementation forms of the matter page: a progress update (with the spend in 元 and
the percent complete) and a milestone."""

from django import forms
from django.utils.translation import gettext_lazy

from village.money import fen_from_yuan


class YuanField(forms.CharField):
    """An amount typed in 元 (two decimals at most, 8万 accepted), cleaned to 分."""

    def clean(self, value):
        value = super().clean(value)
        return fen_from_yuan(value, str(self.label)) if value else None


class UpdateForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("实施进展"), widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.ImageField(label=gettext_lazy("照片"), required=False)
    spent_fen = YuanField(label=gettext_lazy("累计支出（元，可不填）"), required=False)
    percent = forms.IntegerField(
        label=gettext_lazy("完成进度（%，可不填）"), min_value=0, max_value=100, required=False
    )


class MilestoneForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("实施节点"), max_length=100)
    due_on = forms.DateField(
        label=gettext_lazy("计划完成日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
