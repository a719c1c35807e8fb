"""`0001_initial` … `0007_year_scores_kept_by_the_database` in one migration, for a new database:
every model created once, as it stands now, in one step (`CreateModels`), then the replaced
migrations' database guards in their order (`replaced_guards`). It depends on the village app's
squash. See docs/core.md ("Each app's migrations are squashed").
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import points.models
from village.migration_operations import CreateModels, replaced_guards


class Migration(migrations.Migration):
    replaces = [
        ("points", "0001_initial"),
        ("points", "0002_ledger_guards"),
        ("points", "0003_catalogue_drafts"),
        ("points", "0004_allocation_guards"),
        ("points", "0005_balance_check_in_constant_time"),
        ("points", "0006_entry_year_score_index"),
        ("points", "0007_year_scores_kept_by_the_database"),
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
                    name="Account",
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
                        ("balance", models.IntegerField(default=0, verbose_name="可用积分")),
                        (
                            "opened_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="开户时间"
                            ),
                        ),
                        (
                            "household",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="point_accounts",
                                to="village.household",
                                verbose_name="户",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="point_accounts",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="point_accounts",
                                to="village.villager",
                                verbose_name="个人（个人账户）",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分账户",
                        "verbose_name_plural": "积分账户",
                        "ordering": ["village", "household__number"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("villager__isnull", True)),
                                fields=("household",),
                                name="account_one_per_household",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("villager__isnull", False)),
                                fields=("villager",),
                                name="account_one_per_person",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("balance__gte", 0)),
                                name="account_balance_not_negative",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Allocation",
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
                        ("year", models.PositiveSmallIntegerField(verbose_name="积分年度")),
                        ("title", models.CharField(max_length=100, verbose_name="名称")),
                        ("pool_fen", models.PositiveBigIntegerField(verbose_name="总额（分）")),
                        (
                            "floor",
                            models.IntegerField(
                                default=0,
                                help_text="只按超过该分数的部分分配",
                                verbose_name="起算分",
                            ),
                        ),
                        (
                            "cap_fen",
                            models.PositiveBigIntegerField(
                                blank=True, null=True, verbose_name="每户上限（分）"
                            ),
                        ),
                        ("rule_text", models.TextField(verbose_name="分配办法")),
                        ("created_at", models.DateTimeField(default=points.models.now)),
                        (
                            "published_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="公布时间"),
                        ),
                        (
                            "idempotency_key",
                            models.CharField(
                                blank=True,
                                max_length=80,
                                null=True,
                                unique=True,
                                verbose_name="幂等键",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
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
                                related_name="allocations",
                                to="village.village",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "福利分配",
                        "verbose_name_plural": "福利分配",
                        "ordering": ["village", "-year", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Catalogue",
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
                        ("version", models.PositiveIntegerField(verbose_name="版本")),
                        ("title", models.CharField(max_length=100, verbose_name="名称")),
                        ("effective_from", models.DateField(verbose_name="生效日期")),
                        (
                            "adopted_by",
                            models.CharField(
                                blank=True,
                                help_text="村民会议或村民代表会议决议的名称和日期",
                                max_length=200,
                                verbose_name="通过该细则的决议",
                            ),
                        ),
                        (
                            "adopted_matter",
                            models.PositiveIntegerField(
                                blank=True, null=True, verbose_name="决议议题编号"
                            ),
                        ),
                        (
                            "adopted_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="通过生效时间"
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="创建时间"
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="point_catalogues",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分细则",
                        "verbose_name_plural": "积分细则",
                        "ordering": ["village", "-effective_from", "-version"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("village", "version"), name="catalogue_unique_version"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Category",
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
                        ("name", models.CharField(max_length=40, verbose_name="类别")),
                        ("order", models.PositiveSmallIntegerField(default=0, verbose_name="排序")),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="point_categories",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分类别",
                        "verbose_name_plural": "积分类别",
                        "ordering": ["village", "order", "name"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("village", "name"), name="point_category_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Entry",
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
                                choices=[
                                    ("conduct", "加减分"),
                                    ("reversal", "冲正"),
                                    ("redemption", "兑换"),
                                    ("opening", "年度基础分"),
                                    ("reset", "年度清零"),
                                ],
                                max_length=12,
                                verbose_name="种类",
                            ),
                        ),
                        ("points", models.IntegerField(verbose_name="分值")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        ("occurred_on", models.DateField(verbose_name="发生日期")),
                        (
                            "reason",
                            models.CharField(blank=True, max_length=300, verbose_name="说明"),
                        ),
                        (
                            "photo",
                            models.ImageField(
                                blank=True, upload_to="points/%Y/%m/", verbose_name="照片"
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("recorded", "已登记"),
                                    ("claimed", "村民申报"),
                                    ("reviewed", "已审核"),
                                    ("rejected", "审核未通过"),
                                    ("published", "公示中"),
                                    ("posted", "已入账"),
                                    ("voided", "异议成立已作废"),
                                ],
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "recorded_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="登记时间"
                            ),
                        ),
                        (
                            "reviewed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="审核时间"),
                        ),
                        (
                            "review_note",
                            models.CharField(blank=True, max_length=200, verbose_name="审核意见"),
                        ),
                        (
                            "posted_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="入账时间"),
                        ),
                        (
                            "idempotency_key",
                            models.CharField(max_length=80, unique=True, verbose_name="幂等键"),
                        ),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="entries",
                                to="points.account",
                                verbose_name="账户",
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
                                verbose_name="登记人",
                            ),
                        ),
                        (
                            "reverses",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="reversed_by",
                                to="points.entry",
                                verbose_name="冲正的原分录",
                            ),
                        ),
                        (
                            "reviewed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="审核人",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="point_entries",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                        (
                            "publication",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="entries",
                                to="points.publication",
                                verbose_name="公示",
                            ),
                        ),
                        (
                            "rule",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="entries",
                                to="points.rule",
                                verbose_name="规则",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分分录",
                        "verbose_name_plural": "积分分录",
                        "ordering": ["-occurred_on", "-id"],
                        "indexes": [
                            models.Index(fields=["account", "status"], name="entry_account_status"),
                            models.Index(
                                fields=["village", "status", "occurred_on"],
                                name="entry_village_status",
                            ),
                            models.Index(fields=["account", "year"], name="entry_account_year"),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status", "posted"),
                                    ("posted_at__isnull", True),
                                    _connector="OR",
                                ),
                                name="entry_posted_at_only_when_posted",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("kind", "reversal"), _negated=True),
                                    ("reverses__isnull", False),
                                    _connector="OR",
                                ),
                                name="entry_reversal_points_at_original",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalAllocation",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("year", models.PositiveSmallIntegerField(verbose_name="积分年度")),
                        ("title", models.CharField(max_length=100, verbose_name="名称")),
                        ("pool_fen", models.PositiveBigIntegerField(verbose_name="总额（分）")),
                        (
                            "floor",
                            models.IntegerField(
                                default=0,
                                help_text="只按超过该分数的部分分配",
                                verbose_name="起算分",
                            ),
                        ),
                        (
                            "cap_fen",
                            models.PositiveBigIntegerField(
                                blank=True, null=True, verbose_name="每户上限（分）"
                            ),
                        ),
                        ("rule_text", models.TextField(verbose_name="分配办法")),
                        ("created_at", models.DateTimeField(default=points.models.now)),
                        (
                            "published_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="公布时间"),
                        ),
                        (
                            "idempotency_key",
                            models.CharField(
                                blank=True,
                                db_index=True,
                                max_length=80,
                                null=True,
                                verbose_name="幂等键",
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
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 福利分配",
                        "verbose_name_plural": "historical 福利分配",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalCatalogue",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("version", models.PositiveIntegerField(verbose_name="版本")),
                        ("title", models.CharField(max_length=100, verbose_name="名称")),
                        ("effective_from", models.DateField(verbose_name="生效日期")),
                        (
                            "adopted_by",
                            models.CharField(
                                blank=True,
                                help_text="村民会议或村民代表会议决议的名称和日期",
                                max_length=200,
                                verbose_name="通过该细则的决议",
                            ),
                        ),
                        (
                            "adopted_matter",
                            models.PositiveIntegerField(
                                blank=True, null=True, verbose_name="决议议题编号"
                            ),
                        ),
                        (
                            "adopted_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="通过生效时间"
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="创建时间"
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
                    ],
                    options={
                        "verbose_name": "historical 积分细则",
                        "verbose_name_plural": "historical 积分细则",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalCategory",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=40, verbose_name="类别")),
                        ("order", models.PositiveSmallIntegerField(default=0, verbose_name="排序")),
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
                    ],
                    options={
                        "verbose_name": "historical 积分类别",
                        "verbose_name_plural": "historical 积分类别",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
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
                        ("text", models.TextField(max_length=1000, verbose_name="异议理由")),
                        (
                            "filed_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="提出时间"
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "待答复"),
                                    ("upheld", "异议成立"),
                                    ("rejected", "异议不成立"),
                                ],
                                default="open",
                                max_length=10,
                                verbose_name="处理结果",
                            ),
                        ),
                        ("answer", models.TextField(blank=True, verbose_name="答复")),
                        (
                            "answered_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="答复时间"),
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
                            "entry",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.entry",
                                verbose_name="分录",
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
                                verbose_name="村民",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 积分异议",
                        "verbose_name_plural": "historical 积分异议",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalPublication",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("month", models.DateField(help_text="该月的第一天", verbose_name="月份")),
                        (
                            "published_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="公示时间"
                            ),
                        ),
                        ("objection_ends_at", models.DateTimeField(verbose_name="异议截止")),
                        (
                            "closed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="入账时间"),
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
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "published_by",
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
                    ],
                    options={
                        "verbose_name": "historical 积分公示",
                        "verbose_name_plural": "historical 积分公示",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalRule",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("code", models.CharField(max_length=12, verbose_name="编码")),
                        ("text", models.CharField(max_length=200, verbose_name="内容")),
                        ("points", models.IntegerField(verbose_name="分值")),
                        (
                            "cap_per_period",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="空表示不限",
                                null=True,
                                verbose_name="每年次数上限",
                            ),
                        ),
                        (
                            "evidence_required",
                            models.BooleanField(default=False, verbose_name="须附照片"),
                        ),
                        (
                            "article",
                            models.CharField(
                                blank=True, max_length=60, verbose_name="依据（村规民约条款）"
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
                            "catalogue",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.catalogue",
                                verbose_name="细则",
                            ),
                        ),
                        (
                            "category",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.category",
                                verbose_name="类别",
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
                    ],
                    options={
                        "verbose_name": "historical 积分规则",
                        "verbose_name_plural": "historical 积分规则",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalStarRound",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        (
                            "thresholds",
                            models.JSONField(
                                help_text='如 {"5": 180, "4": 160, ...}', verbose_name="星级门槛"
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=points.models.now)),
                        (
                            "published_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="公布时间"),
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
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "published_by",
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
                    ],
                    options={
                        "verbose_name": "historical 星级文明户评定",
                        "verbose_name_plural": "historical 星级文明户评定",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalStoreItem",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=60, verbose_name="物品")),
                        (
                            "unit",
                            models.CharField(default="件", max_length=20, verbose_name="单位"),
                        ),
                        ("points_price", models.PositiveIntegerField(verbose_name="所需积分")),
                        ("stock", models.PositiveIntegerField(default=0, verbose_name="库存")),
                        ("active", models.BooleanField(default=True, verbose_name="上架")),
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
                    ],
                    options={
                        "verbose_name": "historical 积分超市物品",
                        "verbose_name_plural": "historical 积分超市物品",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
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
                        ("text", models.TextField(max_length=1000, verbose_name="异议理由")),
                        (
                            "filed_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="提出时间"
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "待答复"),
                                    ("upheld", "异议成立"),
                                    ("rejected", "异议不成立"),
                                ],
                                default="open",
                                max_length=10,
                                verbose_name="处理结果",
                            ),
                        ),
                        ("answer", models.TextField(blank=True, verbose_name="答复")),
                        (
                            "answered_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="答复时间"),
                        ),
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
                            "entry",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="objections",
                                to="points.entry",
                                verbose_name="分录",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.village",
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="point_objections",
                                to="village.villager",
                                verbose_name="村民",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分异议",
                        "verbose_name_plural": "积分异议",
                        "ordering": ["-filed_at"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("status", "open")),
                                fields=("entry", "villager"),
                                name="objection_one_open_per_villager",
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
                        ("month", models.DateField(help_text="该月的第一天", verbose_name="月份")),
                        (
                            "published_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="公示时间"
                            ),
                        ),
                        ("objection_ends_at", models.DateTimeField(verbose_name="异议截止")),
                        (
                            "closed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="入账时间"),
                        ),
                        (
                            "published_by",
                            models.ForeignKey(
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
                                related_name="point_publications",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分公示",
                        "verbose_name_plural": "积分公示",
                        "ordering": ["village", "-month", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="Rule",
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
                        ("code", models.CharField(max_length=12, verbose_name="编码")),
                        ("text", models.CharField(max_length=200, verbose_name="内容")),
                        ("points", models.IntegerField(verbose_name="分值")),
                        (
                            "cap_per_period",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="空表示不限",
                                null=True,
                                verbose_name="每年次数上限",
                            ),
                        ),
                        (
                            "evidence_required",
                            models.BooleanField(default=False, verbose_name="须附照片"),
                        ),
                        (
                            "article",
                            models.CharField(
                                blank=True, max_length=60, verbose_name="依据（村规民约条款）"
                            ),
                        ),
                        (
                            "catalogue",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="rules",
                                to="points.catalogue",
                                verbose_name="细则",
                            ),
                        ),
                        (
                            "category",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="rules",
                                to="points.category",
                                verbose_name="类别",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分规则",
                        "verbose_name_plural": "积分规则",
                        "ordering": ["catalogue", "category__order", "code"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("catalogue", "code"), name="rule_unique_code"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("points", 0), _negated=True),
                                name="rule_points_not_zero",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalEntry",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("conduct", "加减分"),
                                    ("reversal", "冲正"),
                                    ("redemption", "兑换"),
                                    ("opening", "年度基础分"),
                                    ("reset", "年度清零"),
                                ],
                                max_length=12,
                                verbose_name="种类",
                            ),
                        ),
                        ("points", models.IntegerField(verbose_name="分值")),
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        ("occurred_on", models.DateField(verbose_name="发生日期")),
                        (
                            "reason",
                            models.CharField(blank=True, max_length=300, verbose_name="说明"),
                        ),
                        (
                            "photo",
                            models.TextField(blank=True, max_length=100, verbose_name="照片"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("recorded", "已登记"),
                                    ("claimed", "村民申报"),
                                    ("reviewed", "已审核"),
                                    ("rejected", "审核未通过"),
                                    ("published", "公示中"),
                                    ("posted", "已入账"),
                                    ("voided", "异议成立已作废"),
                                ],
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "recorded_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="登记时间"
                            ),
                        ),
                        (
                            "reviewed_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="审核时间"),
                        ),
                        (
                            "review_note",
                            models.CharField(blank=True, max_length=200, verbose_name="审核意见"),
                        ),
                        (
                            "posted_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="入账时间"),
                        ),
                        (
                            "idempotency_key",
                            models.CharField(db_index=True, max_length=80, verbose_name="幂等键"),
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
                            "account",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.account",
                                verbose_name="账户",
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
                                verbose_name="登记人",
                            ),
                        ),
                        (
                            "reverses",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.entry",
                                verbose_name="冲正的原分录",
                            ),
                        ),
                        (
                            "reviewed_by",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="审核人",
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
                            "publication",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.publication",
                                verbose_name="公示",
                            ),
                        ),
                        (
                            "rule",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.rule",
                                verbose_name="规则",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 积分分录",
                        "verbose_name_plural": "historical 积分分录",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Share",
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
                        ("score", models.IntegerField(verbose_name="年度得分")),
                        ("weight", models.IntegerField(verbose_name="计分")),
                        ("eligible", models.BooleanField(default=True, verbose_name="有资格")),
                        (
                            "reason",
                            models.CharField(blank=True, max_length=100, verbose_name="说明"),
                        ),
                        ("amount_fen", models.PositiveBigIntegerField(verbose_name="金额（分）")),
                        ("rank", models.PositiveIntegerField(verbose_name="名次")),
                        (
                            "allocation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="shares",
                                to="points.allocation",
                            ),
                        ),
                        (
                            "household",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.household",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "分配份额",
                        "verbose_name_plural": "分配份额",
                        "ordering": ["allocation", "rank"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("allocation", "household"), name="share_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StarRound",
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
                        ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                        (
                            "thresholds",
                            models.JSONField(
                                help_text='如 {"5": 180, "4": 160, ...}', verbose_name="星级门槛"
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=points.models.now)),
                        (
                            "published_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="公布时间"),
                        ),
                        (
                            "published_by",
                            models.ForeignKey(
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
                                related_name="star_rounds",
                                to="village.village",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "星级文明户评定",
                        "verbose_name_plural": "星级文明户评定",
                        "ordering": ["village", "-year"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("village", "year"), name="star_round_one_per_year"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="StarRating",
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
                        ("score", models.IntegerField(verbose_name="年度得分")),
                        ("stars", models.PositiveSmallIntegerField(verbose_name="星级")),
                        (
                            "revoked_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="撤销时间"),
                        ),
                        (
                            "revoked_reason",
                            models.CharField(blank=True, max_length=200, verbose_name="撤销原因"),
                        ),
                        (
                            "household",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="star_ratings",
                                to="village.household",
                            ),
                        ),
                        (
                            "revoked_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "round",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="ratings",
                                to="points.starround",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "星级",
                        "verbose_name_plural": "星级",
                        "ordering": ["round", "-stars", "-score", "household__number"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("round", "household"), name="star_rating_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalStarRating",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("score", models.IntegerField(verbose_name="年度得分")),
                        ("stars", models.PositiveSmallIntegerField(verbose_name="星级")),
                        (
                            "revoked_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="撤销时间"),
                        ),
                        (
                            "revoked_reason",
                            models.CharField(blank=True, max_length=200, verbose_name="撤销原因"),
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
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "household",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.household",
                            ),
                        ),
                        (
                            "revoked_by",
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
                            "round",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="points.starround",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 星级",
                        "verbose_name_plural": "historical 星级",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="StoreItem",
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
                        ("name", models.CharField(max_length=60, verbose_name="物品")),
                        (
                            "unit",
                            models.CharField(default="件", max_length=20, verbose_name="单位"),
                        ),
                        ("points_price", models.PositiveIntegerField(verbose_name="所需积分")),
                        ("stock", models.PositiveIntegerField(default=0, verbose_name="库存")),
                        ("active", models.BooleanField(default=True, verbose_name="上架")),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="store_items",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "积分超市物品",
                        "verbose_name_plural": "积分超市物品",
                        "ordering": ["village", "points_price", "name"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("points_price__gt", 0)),
                                name="store_price_positive",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Redemption",
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
                        ("quantity", models.PositiveIntegerField(verbose_name="数量")),
                        ("points", models.PositiveIntegerField(verbose_name="积分")),
                        (
                            "receipt",
                            models.CharField(max_length=16, unique=True, verbose_name="兑换凭证号"),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=points.models.now, verbose_name="兑换时间"
                            ),
                        ),
                        (
                            "account",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="redemptions",
                                to="points.account",
                            ),
                        ),
                        (
                            "entry",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="redemption",
                                to="points.entry",
                            ),
                        ),
                        (
                            "served_by",
                            models.ForeignKey(
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
                                related_name="+",
                                to="village.village",
                            ),
                        ),
                        (
                            "item",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="redemptions",
                                to="points.storeitem",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "兑换记录",
                        "verbose_name_plural": "兑换记录",
                        "ordering": ["-created_at"],
                    },
                ),
            ]
        ),
        *replaced_guards(
            "points",
            "0001_initial",
            "0002_ledger_guards",
            "0003_catalogue_drafts",
            "0004_allocation_guards",
            "0005_balance_check_in_constant_time",
            "0006_entry_year_score_index",
            "0007_year_scores_kept_by_the_database",
        ),
    ]
