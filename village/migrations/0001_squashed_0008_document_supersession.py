"""`0001_initial` … `0008_document_supersession` in one migration, for a new database: every model
created once, as it stands now, in one step (`CreateModels`), then the replaced migrations'
database guards in their order (`replaced_guards`). It depends on every third-party app's last
migration, so that all of ours run after Wagtail's. See docs/core.md ("Each app's migrations are
squashed").
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

import village.models.documents
import village.models.roster
import village.models.tenancy
from village.migration_operations import CreateModels, replaced_guards


class Migration(migrations.Migration):
    replaces = [
        ("village", "0001_initial"),
        ("village", "0002_audit_append_only"),
        ("village", "0003_alter_historicalmembership_role_and_more"),
        ("village", "0004_documents"),
        ("village", "0005_documents_append_only"),
        ("village", "0006_ruleset_statutory_floor"),
        ("village", "0007_audit_seal"),
        ("village", "0008_document_supersession"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # Every third-party app's last migration (see the module's docstring).
        ("axes", "0010_accessattemptexpiration"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("sessions", "0001_initial"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailembeds", "0009_embed_cache_until"),
        ("wagtailforms", "0005_alter_formsubmission_form_data"),
        ("wagtailimages", "0027_image_description"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
        ("wagtailsearch", "0010_add_text_fields"),
        ("wagtailusers", "0015_userprofile_keyboard_shortcuts"),
    ]

    operations = [
        CreateModels(
            [
                migrations.CreateModel(
                    name="AuditHead",
                    fields=[
                        (
                            "chain",
                            models.CharField(max_length=20, primary_key=True, serialize=False),
                        ),
                        ("seq", models.PositiveBigIntegerField(default=0)),
                        ("hash", models.CharField(max_length=64)),
                        ("seal", models.CharField(blank=True, max_length=64)),
                        ("key_id", models.CharField(blank=True, max_length=12)),
                        ("anchored_at", models.DateTimeField(blank=True, null=True)),
                        ("anchored_seq", models.PositiveBigIntegerField(default=0)),
                    ],
                ),
                migrations.CreateModel(
                    name="Township",
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
                        ("name", models.CharField(max_length=100, verbose_name="名称")),
                        ("code", models.SlugField(unique=True, verbose_name="代码")),
                    ],
                    options={
                        "verbose_name": "乡镇",
                        "verbose_name_plural": "乡镇",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Document",
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
                                    ("meeting_record", "会议记录"),
                                    ("resolution", "决议"),
                                    ("audit_trail", "议题审计记录"),
                                    ("points_statement", "户积分存折"),
                                    ("points_list", "积分公示表"),
                                    ("allocation", "福利分配表"),
                                    ("notice", "公告栏通知"),
                                    ("household_card", "户积分卡"),
                                    ("statements", "全村积分存折（合订本）"),
                                ],
                                max_length=20,
                                verbose_name="文书种类",
                            ),
                        ),
                        ("title", models.CharField(max_length=200, verbose_name="标题")),
                        ("subject_type", models.CharField(max_length=60, verbose_name="对象类型")),
                        ("subject_id", models.CharField(max_length=40, verbose_name="对象编号")),
                        (
                            "code",
                            models.CharField(max_length=12, unique=True, verbose_name="验证码"),
                        ),
                        ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                        ("size", models.PositiveIntegerField(verbose_name="字节数")),
                        ("pages", models.PositiveIntegerField(verbose_name="页数")),
                        (
                            "file",
                            models.FileField(
                                upload_to=village.models.documents.document_path,
                                verbose_name="文件",
                            ),
                        ),
                        ("issued_by_name", models.CharField(max_length=100, verbose_name="签发人")),
                        ("issued_at", models.DateTimeField(verbose_name="签发时间")),
                        (
                            "audit_seq",
                            models.PositiveBigIntegerField(
                                blank=True, null=True, verbose_name="审计链序号"
                            ),
                        ),
                        (
                            "audit_hash",
                            models.CharField(blank=True, max_length=64, verbose_name="审计链头"),
                        ),
                        (
                            "content_sha256",
                            models.CharField(blank=True, max_length=64, verbose_name="内容指纹"),
                        ),
                        (
                            "reissue_reason",
                            models.CharField(
                                blank=True, max_length=300, verbose_name="重新签发原因"
                            ),
                        ),
                        (
                            "issued_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="签发人",
                            ),
                        ),
                        (
                            "supersedes",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="superseded_by",
                                to="village.document",
                                verbose_name="取代的文书",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="documents",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "文书",
                        "verbose_name_plural": "文书",
                        "ordering": ["-issued_at", "-id"],
                        "indexes": [
                            models.Index(
                                fields=["subject_type", "subject_id"], name="document_subject"
                            )
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("supersedes__isnull", True),
                                    models.Q(("reissue_reason", ""), _negated=True),
                                    _connector="OR",
                                ),
                                name="document_reissue_has_reason",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(
                                    ("supersedes__isnull", True),
                                    models.Q(("content_sha256", ""), _negated=True),
                                ),
                                fields=(
                                    "village",
                                    "kind",
                                    "subject_type",
                                    "subject_id",
                                    "content_sha256",
                                ),
                                name="document_issued_once_per_content",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Grid",
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
                            "level",
                            models.CharField(
                                choices=[("large", "大网格"), ("area", "片区")],
                                max_length=10,
                                verbose_name="层级",
                            ),
                        ),
                        ("name", models.CharField(max_length=60, verbose_name="名称")),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="areas",
                                to="village.grid",
                                verbose_name="所属大网格",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="grids",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "网格",
                        "verbose_name_plural": "网格",
                        "ordering": ["village", "parent_id", "name"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("level", "large"), ("parent__isnull", True)),
                                    models.Q(("level", "area"), ("parent__isnull", False)),
                                    _connector="OR",
                                ),
                                name="grid_area_has_parent",
                            ),
                            models.UniqueConstraint(
                                fields=("village", "name"), name="grid_unique_name"
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalTownship",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="名称")),
                        ("code", models.SlugField(verbose_name="代码")),
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
                    ],
                    options={
                        "verbose_name": "historical 乡镇",
                        "verbose_name_plural": "historical 乡镇",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalVillage",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=100, verbose_name="名称")),
                        ("code", models.SlugField(verbose_name="代码")),
                        (
                            "seal_number",
                            models.CharField(blank=True, max_length=40, verbose_name="印章编号"),
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
                            "township",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.township",
                                verbose_name="乡镇",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 村",
                        "verbose_name_plural": "historical 村",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalTownshipMembership",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("inspector", "乡镇巡查"),
                                    ("township_admin", "乡镇管理员"),
                                ],
                                max_length=20,
                                verbose_name="职务",
                            ),
                        ),
                        ("start", models.DateField(verbose_name="任职起")),
                        ("end", models.DateField(blank=True, null=True, verbose_name="任职止")),
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
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="用户",
                            ),
                        ),
                        (
                            "township",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.township",
                                verbose_name="乡镇",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 乡镇任职",
                        "verbose_name_plural": "historical 乡镇任职",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="Village",
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
                        ("name", models.CharField(max_length=100, verbose_name="名称")),
                        ("code", models.SlugField(unique=True, verbose_name="代码")),
                        (
                            "seal_number",
                            models.CharField(blank=True, max_length=40, verbose_name="印章编号"),
                        ),
                        (
                            "township",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="villages",
                                to="village.township",
                                verbose_name="乡镇",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "村",
                        "verbose_name_plural": "村",
                        "ordering": ["township__name", "name"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("township", "name"), name="village_unique_name"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="RuleSet",
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
                            "branch_quorum",
                            models.CharField(
                                default=">=1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党支部提议：到会比例",
                            ),
                        ),
                        (
                            "branch_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党支部提议：赞成占支委总数",
                            ),
                        ),
                        (
                            "committees_quorum",
                            models.CharField(
                                default=">1/2",
                                help_text="两委联席会议议事规则（地方惯例）",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="两委商议：到会比例",
                            ),
                        ),
                        (
                            "committees_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="两委联席会议议事规则（地方惯例）",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="两委商议：赞成占到会",
                            ),
                        ),
                        (
                            "party_quorum",
                            models.CharField(
                                default=">=1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十一条（地方常定为三分之二以上）",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党员大会：到会比例",
                            ),
                        ),
                        (
                            "party_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十一条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党员大会：赞成占应到",
                            ),
                        ),
                        (
                            "villagers_quorum_people",
                            models.CharField(
                                default=">1/2",
                                help_text="《村民委员会组织法》第二十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民会议：到会成年村民比例",
                            ),
                        ),
                        (
                            "villagers_quorum_households",
                            models.CharField(
                                default=">=2/3",
                                help_text="《村民委员会组织法》第二十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民会议：到会户代表比例",
                            ),
                        ),
                        (
                            "villagers_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《村民委员会组织法》第二十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民会议：赞成占到会",
                            ),
                        ),
                        (
                            "representatives_quorum",
                            models.CharField(
                                default=">=2/3",
                                help_text="《村民委员会组织法》第二十六条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民代表会议：到会比例",
                            ),
                        ),
                        (
                            "representatives_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《村民委员会组织法》第二十六条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民代表会议：赞成占到会",
                            ),
                        ),
                        (
                            "online_voter_counts_present",
                            models.BooleanField(
                                default=True,
                                help_text="村民自治章程（本平台默认）",
                                verbose_name="网上投票者计入到会",
                            ),
                        ),
                        (
                            "allow_joint_branch_committees",
                            models.BooleanField(
                                default=True,
                                help_text="“一肩挑”村两委联席会议惯例",
                                verbose_name="一肩挑时党支部提议与两委商议可合并召开",
                            ),
                        ),
                        (
                            "resolution_publication_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                help_text="《村民委员会组织法》第三十条",
                                verbose_name="决议公开天数",
                            ),
                        ),
                        (
                            "result_publication_days",
                            models.PositiveSmallIntegerField(
                                default=3,
                                help_text="《村民委员会组织法》第三十条",
                                verbose_name="实施结果公开天数",
                            ),
                        ),
                        (
                            "adult_age",
                            models.PositiveSmallIntegerField(
                                default=18,
                                help_text="《村民委员会组织法》第十三条（年满十八周岁）",
                                verbose_name="成年年龄",
                            ),
                        ),
                        (
                            "points_base",
                            models.PositiveIntegerField(
                                default=100,
                                help_text="村规民约·积分制管理办法",
                                verbose_name="每户年度基础分",
                            ),
                        ),
                        (
                            "points_carry_over",
                            models.CharField(
                                choices=[
                                    ("reset", "每年清零，重新发放基础分"),
                                    ("carry", "结余结转下一年"),
                                ],
                                default="reset",
                                help_text="村规民约·积分制管理办法",
                                max_length=10,
                                verbose_name="年度积分结转",
                            ),
                        ),
                        (
                            "points_objection_days",
                            models.PositiveSmallIntegerField(
                                default=5,
                                help_text="村规民约·积分制管理办法（公示期）",
                                verbose_name="积分公示异议期（天）",
                            ),
                        ),
                        (
                            "village",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="rules",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "议事规则",
                        "verbose_name_plural": "议事规则",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("adult_age__gte", 18), ("adult_age__lte", 21)),
                                name="ruleset_adult_age",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("resolution_publication_days__gte", 1),
                                    ("result_publication_days__gte", 1),
                                    ("points_objection_days__gte", 1),
                                ),
                                name="ruleset_days_positive",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Household",
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
                        ("number", models.CharField(max_length=20, verbose_name="户号")),
                        (
                            "address",
                            models.CharField(blank=True, max_length=200, verbose_name="住址"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("active", "在册"),
                                    ("moved_out", "已迁出"),
                                    ("merged", "已合户"),
                                ],
                                default="active",
                                max_length=12,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "area",
                            models.ForeignKey(
                                limit_choices_to={"level": "area"},
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="households",
                                to="village.grid",
                                verbose_name="片区",
                            ),
                        ),
                        (
                            "merged_into",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="merged_from",
                                to="village.household",
                                verbose_name="并入户",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="households",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                        (
                            "head",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="village.villager",
                                verbose_name="户主",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "户",
                        "verbose_name_plural": "户",
                        "ordering": ["village", "number"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("village", "number"), name="household_unique_number"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("status", "merged"),
                                    ("merged_into__isnull", True),
                                    _connector="OR",
                                ),
                                name="household_merged_into_only_when_merged",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalVillager",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=50, verbose_name="姓名")),
                        (
                            "id_number",
                            models.CharField(
                                max_length=18,
                                validators=[village.models.roster.validate_id_number],
                                verbose_name="身份证号",
                            ),
                        ),
                        ("birth_date", models.DateField(verbose_name="出生日期")),
                        (
                            "gender",
                            models.CharField(
                                choices=[("m", "男"), ("f", "女")],
                                max_length=1,
                                verbose_name="性别",
                            ),
                        ),
                        (
                            "phone",
                            models.CharField(
                                blank=True,
                                max_length=11,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^1\\d{10}$", "手机号应为11位数字，以1开头。"
                                    )
                                ],
                                verbose_name="手机号",
                            ),
                        ),
                        (
                            "relation_to_head",
                            models.CharField(blank=True, max_length=20, verbose_name="与户主关系"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("registered", "在册"),
                                    ("moved_out", "已迁出"),
                                    ("deceased", "已故"),
                                ],
                                default="registered",
                                max_length=12,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "party_membership",
                            models.CharField(
                                choices=[
                                    ("none", "群众"),
                                    ("probationary", "预备党员"),
                                    ("full", "正式党员"),
                                ],
                                default="none",
                                max_length=14,
                                verbose_name="政治面貌",
                            ),
                        ),
                        (
                            "is_representative",
                            models.BooleanField(default=False, verbose_name="村民代表"),
                        ),
                        (
                            "representative_from",
                            models.DateField(blank=True, null=True, verbose_name="代表任期起"),
                        ),
                        (
                            "representative_to",
                            models.DateField(blank=True, null=True, verbose_name="代表任期止"),
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
                            "user",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="登录账号",
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
                                verbose_name="户",
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
                        "verbose_name": "historical 村民",
                        "verbose_name_plural": "historical 村民",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalRuleSet",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "branch_quorum",
                            models.CharField(
                                default=">=1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党支部提议：到会比例",
                            ),
                        ),
                        (
                            "branch_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党支部提议：赞成占支委总数",
                            ),
                        ),
                        (
                            "committees_quorum",
                            models.CharField(
                                default=">1/2",
                                help_text="两委联席会议议事规则（地方惯例）",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="两委商议：到会比例",
                            ),
                        ),
                        (
                            "committees_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="两委联席会议议事规则（地方惯例）",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="两委商议：赞成占到会",
                            ),
                        ),
                        (
                            "party_quorum",
                            models.CharField(
                                default=">=1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十一条（地方常定为三分之二以上）",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党员大会：到会比例",
                            ),
                        ),
                        (
                            "party_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《中国共产党支部工作条例（试行）》第十一条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="党员大会：赞成占应到",
                            ),
                        ),
                        (
                            "villagers_quorum_people",
                            models.CharField(
                                default=">1/2",
                                help_text="《村民委员会组织法》第二十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民会议：到会成年村民比例",
                            ),
                        ),
                        (
                            "villagers_quorum_households",
                            models.CharField(
                                default=">=2/3",
                                help_text="《村民委员会组织法》第二十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民会议：到会户代表比例",
                            ),
                        ),
                        (
                            "villagers_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《村民委员会组织法》第二十二条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民会议：赞成占到会",
                            ),
                        ),
                        (
                            "representatives_quorum",
                            models.CharField(
                                default=">=2/3",
                                help_text="《村民委员会组织法》第二十六条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民代表会议：到会比例",
                            ),
                        ),
                        (
                            "representatives_pass",
                            models.CharField(
                                default=">1/2",
                                help_text="《村民委员会组织法》第二十六条",
                                max_length=12,
                                validators=[village.models.tenancy.validate_threshold],
                                verbose_name="村民代表会议：赞成占到会",
                            ),
                        ),
                        (
                            "online_voter_counts_present",
                            models.BooleanField(
                                default=True,
                                help_text="村民自治章程（本平台默认）",
                                verbose_name="网上投票者计入到会",
                            ),
                        ),
                        (
                            "allow_joint_branch_committees",
                            models.BooleanField(
                                default=True,
                                help_text="“一肩挑”村两委联席会议惯例",
                                verbose_name="一肩挑时党支部提议与两委商议可合并召开",
                            ),
                        ),
                        (
                            "resolution_publication_days",
                            models.PositiveSmallIntegerField(
                                default=7,
                                help_text="《村民委员会组织法》第三十条",
                                verbose_name="决议公开天数",
                            ),
                        ),
                        (
                            "result_publication_days",
                            models.PositiveSmallIntegerField(
                                default=3,
                                help_text="《村民委员会组织法》第三十条",
                                verbose_name="实施结果公开天数",
                            ),
                        ),
                        (
                            "adult_age",
                            models.PositiveSmallIntegerField(
                                default=18,
                                help_text="《村民委员会组织法》第十三条（年满十八周岁）",
                                verbose_name="成年年龄",
                            ),
                        ),
                        (
                            "points_base",
                            models.PositiveIntegerField(
                                default=100,
                                help_text="村规民约·积分制管理办法",
                                verbose_name="每户年度基础分",
                            ),
                        ),
                        (
                            "points_carry_over",
                            models.CharField(
                                choices=[
                                    ("reset", "每年清零，重新发放基础分"),
                                    ("carry", "结余结转下一年"),
                                ],
                                default="reset",
                                help_text="村规民约·积分制管理办法",
                                max_length=10,
                                verbose_name="年度积分结转",
                            ),
                        ),
                        (
                            "points_objection_days",
                            models.PositiveSmallIntegerField(
                                default=5,
                                help_text="村规民约·积分制管理办法（公示期）",
                                verbose_name="积分公示异议期（天）",
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
                        "verbose_name": "historical 议事规则",
                        "verbose_name_plural": "historical 议事规则",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalGrid",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "level",
                            models.CharField(
                                choices=[("large", "大网格"), ("area", "片区")],
                                max_length=10,
                                verbose_name="层级",
                            ),
                        ),
                        ("name", models.CharField(max_length=60, verbose_name="名称")),
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
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.grid",
                                verbose_name="所属大网格",
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
                        "verbose_name": "historical 网格",
                        "verbose_name_plural": "historical 网格",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="DocumentBatch",
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
                                    ("meeting_record", "会议记录"),
                                    ("resolution", "决议"),
                                    ("audit_trail", "议题审计记录"),
                                    ("points_statement", "户积分存折"),
                                    ("points_list", "积分公示表"),
                                    ("allocation", "福利分配表"),
                                    ("notice", "公告栏通知"),
                                    ("household_card", "户积分卡"),
                                    ("statements", "全村积分存折（合订本）"),
                                ],
                                max_length=20,
                                verbose_name="文书种类",
                            ),
                        ),
                        ("params", models.JSONField(default=dict, verbose_name="参数")),
                        (
                            "requested_at",
                            models.DateTimeField(
                                default=village.models.documents.requested_now,
                                verbose_name="申请时间",
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("queued", "排队中"),
                                    ("running", "生成中"),
                                    ("done", "已完成"),
                                    ("failed", "失败"),
                                ],
                                default="queued",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        ("total", models.PositiveIntegerField(default=0, verbose_name="总数")),
                        ("done", models.PositiveIntegerField(default=0, verbose_name="已完成")),
                        ("error", models.TextField(blank=True, verbose_name="错误")),
                        (
                            "finished_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="完成时间"),
                        ),
                        (
                            "document",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.document",
                            ),
                        ),
                        (
                            "requested_by",
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
                    ],
                    options={
                        "verbose_name": "批量文书",
                        "verbose_name_plural": "批量文书",
                        "ordering": ["-requested_at"],
                    },
                ),
                migrations.CreateModel(
                    name="AuditEvent",
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
                        ("chain", models.CharField(max_length=20)),
                        ("seq", models.PositiveBigIntegerField()),
                        ("created_at", models.DateTimeField()),
                        ("actor_name", models.CharField(blank=True, max_length=150)),
                        ("action", models.CharField(max_length=60)),
                        ("object_type", models.CharField(max_length=60)),
                        ("object_id", models.CharField(max_length=40)),
                        ("object_repr", models.CharField(blank=True, max_length=200)),
                        ("payload", models.JSONField(default=dict)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64, unique=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "township",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.township",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="audit_events",
                                to="village.village",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "审计记录",
                        "verbose_name_plural": "审计记录",
                        "ordering": ["chain", "seq"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("chain", "seq"), name="audit_unique_seq"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Villager",
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
                        (
                            "id_number",
                            models.CharField(
                                max_length=18,
                                validators=[village.models.roster.validate_id_number],
                                verbose_name="身份证号",
                            ),
                        ),
                        ("birth_date", models.DateField(verbose_name="出生日期")),
                        (
                            "gender",
                            models.CharField(
                                choices=[("m", "男"), ("f", "女")],
                                max_length=1,
                                verbose_name="性别",
                            ),
                        ),
                        (
                            "phone",
                            models.CharField(
                                blank=True,
                                max_length=11,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^1\\d{10}$", "手机号应为11位数字，以1开头。"
                                    )
                                ],
                                verbose_name="手机号",
                            ),
                        ),
                        (
                            "relation_to_head",
                            models.CharField(blank=True, max_length=20, verbose_name="与户主关系"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("registered", "在册"),
                                    ("moved_out", "已迁出"),
                                    ("deceased", "已故"),
                                ],
                                default="registered",
                                max_length=12,
                                verbose_name="状态",
                            ),
                        ),
                        (
                            "party_membership",
                            models.CharField(
                                choices=[
                                    ("none", "群众"),
                                    ("probationary", "预备党员"),
                                    ("full", "正式党员"),
                                ],
                                default="none",
                                max_length=14,
                                verbose_name="政治面貌",
                            ),
                        ),
                        (
                            "is_representative",
                            models.BooleanField(default=False, verbose_name="村民代表"),
                        ),
                        (
                            "representative_from",
                            models.DateField(blank=True, null=True, verbose_name="代表任期起"),
                        ),
                        (
                            "representative_to",
                            models.DateField(blank=True, null=True, verbose_name="代表任期止"),
                        ),
                        (
                            "household",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="members",
                                to="village.household",
                                verbose_name="户",
                            ),
                        ),
                        (
                            "user",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="villager",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="登录账号",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="villagers",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "村民",
                        "verbose_name_plural": "村民",
                        "ordering": ["village", "household__number", "id"],
                        "indexes": [models.Index(fields=["phone"], name="villager_phone")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("village", "id_number"), name="villager_unique_id"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("is_representative", False),
                                    ("representative_to__isnull", True),
                                    ("representative_from__isnull", True),
                                    ("representative_to__gte", models.F("representative_from")),
                                    _connector="OR",
                                ),
                                name="villager_representative_term_order",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
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
                            "role",
                            models.CharField(
                                choices=[
                                    ("secretary", "党支部书记"),
                                    ("branch_committee", "支委委员"),
                                    ("village_committee", "村委委员"),
                                    ("grid_officer", "网格员"),
                                    ("supervision", "村务监督委员"),
                                    ("store_keeper", "积分超市管理员"),
                                ],
                                max_length=20,
                                verbose_name="职务",
                            ),
                        ),
                        ("start", models.DateField(verbose_name="任职起")),
                        ("end", models.DateField(blank=True, null=True, verbose_name="任职止")),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="备注")),
                        (
                            "grid",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="officers",
                                to="village.grid",
                                verbose_name="负责网格",
                            ),
                        ),
                        (
                            "village",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="memberships",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                        (
                            "villager",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="memberships",
                                to="village.villager",
                                verbose_name="村民",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "任职",
                        "verbose_name_plural": "任职",
                        "ordering": ["village", "role", "start"],
                        "indexes": [
                            models.Index(
                                fields=["village", "role", "start"], name="membership_lookup"
                            )
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("end__isnull", True),
                                    ("end__gte", models.F("start")),
                                    _connector="OR",
                                ),
                                name="membership_end_after_start",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("role", "grid_officer"), ("grid__isnull", False)),
                                    models.Q(
                                        models.Q(("role", "grid_officer"), _negated=True),
                                        ("grid__isnull", True),
                                    ),
                                    _connector="OR",
                                ),
                                name="membership_grid_only_for_officers",
                            ),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalMembership",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("secretary", "党支部书记"),
                                    ("branch_committee", "支委委员"),
                                    ("village_committee", "村委委员"),
                                    ("grid_officer", "网格员"),
                                    ("supervision", "村务监督委员"),
                                    ("store_keeper", "积分超市管理员"),
                                ],
                                max_length=20,
                                verbose_name="职务",
                            ),
                        ),
                        ("start", models.DateField(verbose_name="任职起")),
                        ("end", models.DateField(blank=True, null=True, verbose_name="任职止")),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="备注")),
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
                            "grid",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.grid",
                                verbose_name="负责网格",
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
                        "verbose_name": "historical 任职",
                        "verbose_name_plural": "historical 任职",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="HistoricalHousehold",
                    fields=[
                        (
                            "id",
                            models.BigIntegerField(
                                auto_created=True, blank=True, db_index=True, verbose_name="ID"
                            ),
                        ),
                        ("number", models.CharField(max_length=20, verbose_name="户号")),
                        (
                            "address",
                            models.CharField(blank=True, max_length=200, verbose_name="住址"),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("active", "在册"),
                                    ("moved_out", "已迁出"),
                                    ("merged", "已合户"),
                                ],
                                default="active",
                                max_length=12,
                                verbose_name="状态",
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
                            "area",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                limit_choices_to={"level": "area"},
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.grid",
                                verbose_name="片区",
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
                            "merged_into",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.household",
                                verbose_name="并入户",
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
                            "head",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="village.villager",
                                verbose_name="户主",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 户",
                        "verbose_name_plural": "historical 户",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="ActivationCode",
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
                        ("code_hash", models.CharField(max_length=64, unique=True)),
                        ("issued_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField()),
                        ("used_at", models.DateTimeField(blank=True, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "issued_by",
                            models.ForeignKey(
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
                                related_name="activation_codes",
                                to="village.villager",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "激活码",
                        "verbose_name_plural": "激活码",
                    },
                ),
                migrations.CreateModel(
                    name="TownshipMembership",
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
                            "role",
                            models.CharField(
                                choices=[
                                    ("inspector", "乡镇巡查"),
                                    ("township_admin", "乡镇管理员"),
                                ],
                                max_length=20,
                                verbose_name="职务",
                            ),
                        ),
                        ("start", models.DateField(verbose_name="任职起")),
                        ("end", models.DateField(blank=True, null=True, verbose_name="任职止")),
                        (
                            "township",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="memberships",
                                to="village.township",
                                verbose_name="乡镇",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="township_memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="用户",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "乡镇任职",
                        "verbose_name_plural": "乡镇任职",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("end__isnull", True),
                                    ("end__gte", models.F("start")),
                                    _connector="OR",
                                ),
                                name="township_membership_end_after_start",
                            )
                        ],
                    },
                ),
            ]
        ),
        *replaced_guards(
            "village",
            "0001_initial",
            "0002_audit_append_only",
            "0003_alter_historicalmembership_role_and_more",
            "0004_documents",
            "0005_documents_append_only",
            "0006_ruleset_statutory_floor",
            "0007_audit_seal",
            "0008_document_supersession",
        ),
    ]
