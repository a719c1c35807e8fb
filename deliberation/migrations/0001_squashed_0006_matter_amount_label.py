"""`0001_initial` … `0006_matter_amount_label` in one migration, for a new database: every model
created once, as it stands now, in one step (`CreateModels`), then the replaced migrations'
database guards in their order (`replaced_guards`). It depends on the village app's squash. See
docs/core.md ("Each app's migrations are squashed").
"""

import uuid
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import deliberation.models
from village.migration_operations import CreateModels, replaced_guards


class Migration(migrations.Migration):
    replaces = [
        ("deliberation", "0001_initial"),
        ("deliberation", "0002_system_actor"),
        ("deliberation", "0003_ballot_box"),
        ("deliberation", "0004_procedure_guards"),
        ("deliberation", "0005_sealed_ballots"),
        ("deliberation", "0006_matter_amount_label"),
    ]

    initial = True

    dependencies = [
        ("village", "0008_document_supersession"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        CreateModels(
            [
                migrations.CreateModel(
                    name="HistoricalSuggestion",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("text", models.TextField(verbose_name="说事内容")),
                        (
                            "photo",
                            models.TextField(blank=True, max_length=100, verbose_name="照片"),
                        ),
                        ("created_at", models.DateTimeField(default=deliberation.models.now)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "待答复"),
                                    ("answered", "已答复"),
                                    ("adopted", "已转为议题"),
                                ],
                                default="open",
                                max_length=10,
                            ),
                        ),
                        ("answer", models.TextField(blank=True, verbose_name="答复")),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "answered_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.village",
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.villager",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 村民说事",
                        "verbose_name_plural": "historical 村民说事",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Matter",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("title", models.CharField(max_length=200, verbose_name="议题")),
                        ("body", models.TextField(verbose_name="内容")),
                        (
                            "category",
                            models.CharField(
                                choices=[
                                    ("allowance", "误工补贴人员及标准"),
                                    ("collective_income", "集体经济所得收益使用"),
                                    ("public_welfare_funding", "兴办公益事业筹资筹劳"),
                                    ("land_contract", "土地承包经营方案"),
                                    ("collective_project", "集体经济项目立项承包"),
                                    ("homestead", "宅基地使用方案"),
                                    ("expropriation_compensation", "征地补偿费使用分配"),
                                    ("disposal_of_property", "以借贷租赁等方式处分集体财产"),
                                    ("village_rules", "村规民约/自治章程制定修改"),
                                    ("subsistence_review", "低保/救助评议"),
                                    ("other", "其他重大事项"),
                                ],
                                max_length=40,
                                verbose_name="类别",
                            ),
                        ),
                        (
                            "origin",
                            models.CharField(
                                choices=[
                                    ("suggestion", "党员群众建议"),
                                    ("cadre", "村干部提议"),
                                    ("higher", "上级安排"),
                                ],
                                max_length=20,
                                verbose_name="来源",
                            ),
                        ),
                        (
                            "estimated_amount_fen",
                            models.BigIntegerField(
                                blank=True,
                                help_text="按元填写、显示；以分为单位保存",
                                null=True,
                                verbose_name="预计金额",
                            ),
                        ),
                        (
                            "deciding_body",
                            models.CharField(
                                choices=[
                                    ("villagers_meeting", "村民会议"),
                                    ("representatives_meeting", "村民代表会议"),
                                ],
                                default="representatives_meeting",
                                max_length=30,
                                verbose_name="决议机构",
                            ),
                        ),
                        (
                            "ballot_mode",
                            models.CharField(
                                choices=[("open", "记名投票"), ("secret", "无记名投票")],
                                default="open",
                                max_length=10,
                                verbose_name="投票方式",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("draft", "草拟"),
                                    ("deliberating", "审议中"),
                                    ("voting", "表决中"),
                                    ("resolved", "已决议，待公开"),
                                    ("publishing", "决议公开中"),
                                    ("implementing", "实施中"),
                                    ("result_publishing", "实施结果公开中"),
                                    ("archived", "已归档"),
                                    ("returned", "已退回"),
                                    ("withdrawn", "已撤回"),
                                ],
                                default="draft",
                                max_length=20,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "current_step",
                            models.PositiveSmallIntegerField(default=1, verbose_name="当前步骤"),
                        ),
                        ("version", models.PositiveIntegerField(default=1, verbose_name="版本")),
                        (
                            "frozen_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="冻结文本指纹"
                            ),
                        ),
                        (
                            "frozen_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="冻结时间"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=deliberation.models.now, verbose_name="创建时间"
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="matters",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                        (
                            "suggestion",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="matter",
                                to="deliberation.suggestion",
                                verbose_name="来自村民说事",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "议题",
                        "verbose_name_plural": "议题",
                        "ordering": ["-created_at", "-id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("current_step__gte", 1), ("current_step__lte", 6)
                                ),
                                name="matter_step_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("estimated_amount_fen__isnull", True),
                                    ("estimated_amount_fen__gte", 0),
                                    _connector="OR",
                                ),
                                name="matter_amount_not_negative",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ImplementationUpdate",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("text", models.TextField(verbose_name="进展")),
                        (
                            "photo",
                            models.ImageField(
                                blank=True,
                                upload_to="deliberation/updates/%Y/%m/",
                                verbose_name="照片",
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=deliberation.models.now)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "matter",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="updates",
                                to="deliberation.matter",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "实施进展",
                        "verbose_name_plural": "实施进展",
                        "ordering": ["matter", "created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="MatterVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("number", models.PositiveIntegerField(verbose_name="版本号")),
                        ("title", models.CharField(max_length=200, verbose_name="议题")),
                        ("body", models.TextField(verbose_name="内容")),
                        ("sha256", models.CharField(max_length=64)),
                        (
                            "reason",
                            models.CharField(blank=True, max_length=300, verbose_name="修改原因"),
                        ),
                        ("created_at", models.DateTimeField(default=deliberation.models.now)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "matter",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="versions",
                                to="deliberation.matter",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "议题版本",
                        "verbose_name_plural": "议题版本",
                        "ordering": ["matter", "number"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("matter", "number"), name="matter_version_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalMeeting",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "step",
                            models.PositiveSmallIntegerField(
                                choices=[
                                    (1, "党支部提议"),
                                    (2, "两委商议"),
                                    (3, "党员大会审议"),
                                    (4, "村民（代表）会议决议"),
                                    (5, "决议公开"),
                                    (6, "实施结果公开"),
                                ],
                                verbose_name="步骤",
                            ),
                        ),
                        (
                            "joint",
                            models.BooleanField(default=False, verbose_name="与两委商议合并召开"),
                        ),
                        (
                            "body",
                            models.CharField(
                                choices=[
                                    ("branch_committee", "党支部委员会"),
                                    ("two_committees", "村两委"),
                                    ("party_members", "党员大会"),
                                    ("villagers", "村民会议"),
                                    ("representatives", "村民代表会议"),
                                ],
                                max_length=20,
                                verbose_name="参会机构",
                            ),
                        ),
                        ("held_on", models.DateField(verbose_name="会议日期")),
                        (
                            "place",
                            models.CharField(blank=True, max_length=100, verbose_name="地点"),
                        ),
                        ("minutes", models.TextField(blank=True, verbose_name="会议纪要")),
                        (
                            "register_photo",
                            models.TextField(blank=True, max_length=100, verbose_name="签到表照片"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[("open", "进行中"), ("closed", "已结束")],
                                default="open",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "frozen_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="冻结文本指纹"
                            ),
                        ),
                        (
                            "vote_opens_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="网上投票开始"
                            ),
                        ),
                        (
                            "vote_closes_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="网上投票截止"
                            ),
                        ),
                        (
                            "should_attend",
                            models.PositiveIntegerField(default=0, verbose_name="应到"),
                        ),
                        ("present", models.PositiveIntegerField(default=0, verbose_name="实到")),
                        (
                            "households_total",
                            models.PositiveIntegerField(default=0, verbose_name="应到户"),
                        ),
                        (
                            "households_present",
                            models.PositiveIntegerField(default=0, verbose_name="到会户"),
                        ),
                        ("yes", models.PositiveIntegerField(default=0, verbose_name="赞成")),
                        ("no", models.PositiveIntegerField(default=0, verbose_name="反对")),
                        ("abstain", models.PositiveIntegerField(default=0, verbose_name="弃权")),
                        (
                            "quorum_met",
                            models.BooleanField(blank=True, null=True, verbose_name="达到法定人数"),
                        ),
                        ("passed", models.BooleanField(blank=True, null=True, verbose_name="通过")),
                        (
                            "verdict",
                            models.JSONField(blank=True, default=dict, verbose_name="结论依据"),
                        ),
                        ("recorded_at", models.DateTimeField(blank=True, null=True)),
                        ("closed_at", models.DateTimeField(blank=True, null=True)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "chair",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.villager",
                                verbose_name="主持人",
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "recorder",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.villager",
                                verbose_name="记录人",
                            ),
                        ),
                        (
                            "matter",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="deliberation.matter",
                            ),
                        ),
                        (
                            "version",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="deliberation.matterversion",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 会议",
                        "verbose_name_plural": "historical 会议",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Meeting",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "step",
                            models.PositiveSmallIntegerField(
                                choices=[
                                    (1, "党支部提议"),
                                    (2, "两委商议"),
                                    (3, "党员大会审议"),
                                    (4, "村民（代表）会议决议"),
                                    (5, "决议公开"),
                                    (6, "实施结果公开"),
                                ],
                                verbose_name="步骤",
                            ),
                        ),
                        (
                            "joint",
                            models.BooleanField(default=False, verbose_name="与两委商议合并召开"),
                        ),
                        (
                            "body",
                            models.CharField(
                                choices=[
                                    ("branch_committee", "党支部委员会"),
                                    ("two_committees", "村两委"),
                                    ("party_members", "党员大会"),
                                    ("villagers", "村民会议"),
                                    ("representatives", "村民代表会议"),
                                ],
                                max_length=20,
                                verbose_name="参会机构",
                            ),
                        ),
                        ("held_on", models.DateField(verbose_name="会议日期")),
                        (
                            "place",
                            models.CharField(blank=True, max_length=100, verbose_name="地点"),
                        ),
                        ("minutes", models.TextField(blank=True, verbose_name="会议纪要")),
                        (
                            "register_photo",
                            models.ImageField(
                                blank=True,
                                upload_to="deliberation/registers/%Y/%m/",
                                verbose_name="签到表照片",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[("open", "进行中"), ("closed", "已结束")],
                                default="open",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "frozen_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="冻结文本指纹"
                            ),
                        ),
                        (
                            "vote_opens_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="网上投票开始"
                            ),
                        ),
                        (
                            "vote_closes_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="网上投票截止"
                            ),
                        ),
                        (
                            "should_attend",
                            models.PositiveIntegerField(default=0, verbose_name="应到"),
                        ),
                        ("present", models.PositiveIntegerField(default=0, verbose_name="实到")),
                        (
                            "households_total",
                            models.PositiveIntegerField(default=0, verbose_name="应到户"),
                        ),
                        (
                            "households_present",
                            models.PositiveIntegerField(default=0, verbose_name="到会户"),
                        ),
                        ("yes", models.PositiveIntegerField(default=0, verbose_name="赞成")),
                        ("no", models.PositiveIntegerField(default=0, verbose_name="反对")),
                        ("abstain", models.PositiveIntegerField(default=0, verbose_name="弃权")),
                        (
                            "quorum_met",
                            models.BooleanField(blank=True, null=True, verbose_name="达到法定人数"),
                        ),
                        ("passed", models.BooleanField(blank=True, null=True, verbose_name="通过")),
                        (
                            "verdict",
                            models.JSONField(blank=True, default=dict, verbose_name="结论依据"),
                        ),
                        ("recorded_at", models.DateTimeField(blank=True, null=True)),
                        ("closed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "chair",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.villager",
                                verbose_name="主持人",
                            ),
                        ),
                        (
                            "matter",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="meetings",
                                to="deliberation.matter",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "recorder",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.villager",
                                verbose_name="记录人",
                            ),
                        ),
                        (
                            "version",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="meetings",
                                to="deliberation.matterversion",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "会议",
                        "verbose_name_plural": "会议",
                        "ordering": ["matter", "held_on", "id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("vote_opens_at__isnull", True),
                                    ("vote_closes_at__gt", models.F("vote_opens_at")),
                                    _connector="OR",
                                ),
                                name="meeting_window_order",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("step__gte", 1), ("step__lte", 4)),
                                name="meeting_step_range",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Ballot",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "choice",
                            models.CharField(
                                blank=True,
                                choices=[("yes", "赞成"), ("no", "反对"), ("abstain", "弃权")],
                                max_length=10,
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[("online", "网上投票"), ("hall", "会场投票")],
                                max_length=10,
                            ),
                        ),
                        ("text_hash", models.CharField(max_length=64)),
                        ("receipt", models.CharField(blank=True, max_length=16, null=True)),
                        (
                            "voter",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.villager",
                            ),
                        ),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="ballots",
                                to="deliberation.meeting",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "选票",
                        "verbose_name_plural": "选票",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("voter__isnull", False)),
                                fields=("meeting", "voter"),
                                name="one_open_ballot_per_person",
                            ),
                            models.UniqueConstraint(
                                fields=("meeting", "receipt"), name="ballot_receipt_unique"
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Attendance",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("present", models.BooleanField(default=False, verbose_name="出席")),
                        ("exempted", models.BooleanField(default=False, verbose_name="经批准请假")),
                        (
                            "exemption_reason",
                            models.CharField(blank=True, max_length=200, verbose_name="请假事由"),
                        ),
                        (
                            "household",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.household",
                                verbose_name="代表的户",
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.villager",
                            ),
                        ),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="attendance",
                                to="deliberation.meeting",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "出席",
                        "verbose_name_plural": "出席",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("meeting", "villager"), name="attendance_unique"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("present", True), ("exempted", True), _negated=True
                                ),
                                name="attendance_present_or_exempted",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Observer",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=50, verbose_name="姓名")),
                        ("capacity", models.CharField(max_length=50, verbose_name="身份")),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="observers",
                                to="deliberation.meeting",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "列席人员",
                        "verbose_name_plural": "列席人员",
                    },
                ),
                migrations.CreateModel(
                    name="Participation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[("online", "网上投票"), ("hall", "会场投票")],
                                max_length=10,
                            ),
                        ),
                        ("cast_at", models.DateTimeField(default=deliberation.models.now)),
                        (
                            "entered_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="participations",
                                to="deliberation.meeting",
                            ),
                        ),
                        (
                            "voter",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.villager",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "投票记录",
                        "verbose_name_plural": "投票记录",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("meeting", "voter"), name="one_vote_per_person"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Publication",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("resolution", "决议公开"), ("result", "实施结果公开")],
                                max_length=12,
                                verbose_name="类型",
                            ),
                        ),
                        ("text", models.TextField(verbose_name="公开内容")),
                        ("starts_at", models.DateTimeField(verbose_name="公开开始")),
                        ("ends_at", models.DateTimeField(verbose_name="公开期满")),
                        (
                            "required_days",
                            models.PositiveSmallIntegerField(verbose_name="规定公开天数"),
                        ),
                        ("rule_source", models.CharField(max_length=200)),
                        (
                            "closed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="公开结束"),
                        ),
                        (
                            "matter",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="publications",
                                to="deliberation.matter",
                            ),
                        ),
                        (
                            "published_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "公开",
                        "verbose_name_plural": "公开",
                        "ordering": ["matter", "starts_at"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("matter", "kind"), name="one_publication_per_kind"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("ends_at__gt", models.F("starts_at"))),
                                name="publication_window_order",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Objection",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("text", models.TextField(verbose_name="异议内容")),
                        ("filed_at", models.DateTimeField(default=deliberation.models.now)),
                        ("answer", models.TextField(blank=True, verbose_name="答复")),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "answered_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.villager",
                            ),
                        ),
                        (
                            "publication",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="objections",
                                to="deliberation.publication",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "异议",
                        "verbose_name_plural": "异议",
                        "ordering": ["publication", "filed_at"],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalObjection",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("text", models.TextField(verbose_name="异议内容")),
                        ("filed_at", models.DateTimeField(default=deliberation.models.now)),
                        ("answer", models.TextField(blank=True, verbose_name="答复")),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "answered_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.villager",
                            ),
                        ),
                        (
                            "publication",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="deliberation.publication",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 异议",
                        "verbose_name_plural": "historical 异议",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="SealedBallot",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("key_id", models.CharField(max_length=12)),
                        ("sealed", models.BinaryField()),
                        (
                            "meeting",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="sealed_ballots",
                                to="deliberation.meeting",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "密封选票",
                        "verbose_name_plural": "密封选票",
                    },
                ),
                migrations.CreateModel(
                    name="Suggestion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("text", models.TextField(verbose_name="说事内容")),
                        (
                            "photo",
                            models.ImageField(
                                blank=True,
                                upload_to="deliberation/suggestions/%Y/%m/",
                                verbose_name="照片",
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=deliberation.models.now)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "待答复"),
                                    ("answered", "已答复"),
                                    ("adopted", "已转为议题"),
                                ],
                                default="open",
                                max_length=10,
                            ),
                        ),
                        ("answer", models.TextField(blank=True, verbose_name="答复")),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "answered_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="suggestions",
                                to="village.village",
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="suggestions",
                                to="village.villager",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "村民说事",
                        "verbose_name_plural": "村民说事",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalMatter",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("title", models.CharField(max_length=200, verbose_name="议题")),
                        ("body", models.TextField(verbose_name="内容")),
                        (
                            "category",
                            models.CharField(
                                choices=[
                                    ("allowance", "误工补贴人员及标准"),
                                    ("collective_income", "集体经济所得收益使用"),
                                    ("public_welfare_funding", "兴办公益事业筹资筹劳"),
                                    ("land_contract", "土地承包经营方案"),
                                    ("collective_project", "集体经济项目立项承包"),
                                    ("homestead", "宅基地使用方案"),
                                    ("expropriation_compensation", "征地补偿费使用分配"),
                                    ("disposal_of_property", "以借贷租赁等方式处分集体财产"),
                                    ("village_rules", "村规民约/自治章程制定修改"),
                                    ("subsistence_review", "低保/救助评议"),
                                    ("other", "其他重大事项"),
                                ],
                                max_length=40,
                                verbose_name="类别",
                            ),
                        ),
                        (
                            "origin",
                            models.CharField(
                                choices=[
                                    ("suggestion", "党员群众建议"),
                                    ("cadre", "村干部提议"),
                                    ("higher", "上级安排"),
                                ],
                                max_length=20,
                                verbose_name="来源",
                            ),
                        ),
                        (
                            "estimated_amount_fen",
                            models.BigIntegerField(
                                blank=True,
                                help_text="按元填写、显示；以分为单位保存",
                                null=True,
                                verbose_name="预计金额",
                            ),
                        ),
                        (
                            "deciding_body",
                            models.CharField(
                                choices=[
                                    ("villagers_meeting", "村民会议"),
                                    ("representatives_meeting", "村民代表会议"),
                                ],
                                default="representatives_meeting",
                                max_length=30,
                                verbose_name="决议机构",
                            ),
                        ),
                        (
                            "ballot_mode",
                            models.CharField(
                                choices=[("open", "记名投票"), ("secret", "无记名投票")],
                                default="open",
                                max_length=10,
                                verbose_name="投票方式",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("draft", "草拟"),
                                    ("deliberating", "审议中"),
                                    ("voting", "表决中"),
                                    ("resolved", "已决议，待公开"),
                                    ("publishing", "决议公开中"),
                                    ("implementing", "实施中"),
                                    ("result_publishing", "实施结果公开中"),
                                    ("archived", "已归档"),
                                    ("returned", "已退回"),
                                    ("withdrawn", "已撤回"),
                                ],
                                default="draft",
                                max_length=20,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "current_step",
                            models.PositiveSmallIntegerField(default=1, verbose_name="当前步骤"),
                        ),
                        ("version", models.PositiveIntegerField(default=1, verbose_name="版本")),
                        (
                            "frozen_hash",
                            models.CharField(
                                blank=True, max_length=64, verbose_name="冻结文本指纹"
                            ),
                        ),
                        (
                            "frozen_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="冻结时间"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=deliberation.models.now, verbose_name="创建时间"
                            ),
                        ),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")],
                                max_length=1,
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                        (
                            "suggestion",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="deliberation.suggestion",
                                verbose_name="来自村民说事",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 议题",
                        "verbose_name_plural": "historical 议题",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
            ]
        ),
        *replaced_guards(
            "deliberation",
            "0001_initial",
            "0002_system_actor",
            "0003_ballot_box",
            "0004_procedure_guards",
            "0005_sealed_ballots",
            "0006_matter_amount_label",
        ),
    ]
