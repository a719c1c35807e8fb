"""`0001_initial` and `0002_todovisit` in one migration, for a new database: every model created
once, as it stands now, in one step (`CreateModels`). It depends on the village and deliberation
apps' squashes. See docs/core.md ("Each app's migrations are squashed").
"""

import django.db.models.deletion
import django.utils.timezone
import modelcluster.fields
import wagtail.fields
from django.conf import settings
from django.db import migrations, models

import pages.models.base
from village.migration_operations import CreateModels


class Migration(migrations.Migration):
    replaces = [("pages", "0001_initial"), ("pages", "0002_todovisit")]

    initial = True

    dependencies = [
        ("deliberation", "0006_matter_amount_label"),
        ("village", "0008_document_supersession"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        CreateModels(
            [
                migrations.CreateModel(
                    name="MoralModelIndexPage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        ("intro", models.TextField(blank=True, verbose_name="简介")),
                    ],
                    options={
                        "verbose_name": "道德模范栏目",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="NoticeIndexPage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        ("intro", models.TextField(blank=True, verbose_name="简介")),
                    ],
                    options={
                        "verbose_name": "通知公告栏目",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="PowerListPage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        ("intro", models.TextField(blank=True, verbose_name="简介")),
                        (
                            "powers",
                            wagtail.fields.StreamField(
                                [("power", 6)],
                                block_lookup={
                                    0: ("wagtail.blocks.CharBlock", (), {"label": "权力事项"}),
                                    1: (
                                        "wagtail.blocks.CharBlock",
                                        (),
                                        {"label": "依据", "required": False},
                                    ),
                                    2: (
                                        "wagtail.blocks.CharBlock",
                                        (),
                                        {"label": "责任主体", "required": False},
                                    ),
                                    3: ("wagtail.blocks.CharBlock", (), {"label": "步骤"}),
                                    4: ("wagtail.blocks.ListBlock", (3,), {"label": "运行流程"}),
                                    5: (
                                        "wagtail.blocks.CharBlock",
                                        (),
                                        {"label": "监督方式", "required": False},
                                    ),
                                    6: (
                                        "wagtail.blocks.StructBlock",
                                        [
                                            [
                                                ("name", 0),
                                                ("basis", 1),
                                                ("responsible", 2),
                                                ("steps", 4),
                                                ("supervision", 5),
                                            ]
                                        ],
                                        {},
                                    ),
                                },
                                verbose_name="权力事项",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "小微权力清单",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="StandardPage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        (
                            "body",
                            wagtail.fields.StreamField(
                                [("heading", 0), ("paragraph", 1), ("image", 2)],
                                blank=True,
                                block_lookup={
                                    0: (
                                        "wagtail.blocks.CharBlock",
                                        (),
                                        {"form_classname": "title", "label": "小标题"},
                                    ),
                                    1: ("wagtail.blocks.RichTextBlock", (), {"label": "段落"}),
                                    2: (
                                        "wagtail.images.blocks.ImageChooserBlock",
                                        (),
                                        {"label": "图片"},
                                    ),
                                },
                                verbose_name="正文",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "普通页面",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="TransparencyPage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        ("intro", models.TextField(blank=True, verbose_name="简介")),
                    ],
                    options={
                        "verbose_name": "村务公开栏",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="MoralModelPage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        (
                            "category",
                            models.CharField(
                                choices=[
                                    ("moral_model", "道德模范"),
                                    ("party_member", "最美党员"),
                                    ("good_daughter_in_law", "好媳妇"),
                                    ("village_worthy", "乡贤"),
                                    ("volunteer", "志愿者"),
                                ],
                                max_length=30,
                                verbose_name="类别",
                            ),
                        ),
                        ("year", models.PositiveSmallIntegerField(verbose_name="评选年份")),
                        (
                            "headline",
                            models.CharField(blank=True, max_length=200, verbose_name="事迹摘要"),
                        ),
                        ("story", wagtail.fields.RichTextField(verbose_name="事迹")),
                        (
                            "portrait",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="wagtailimages.image",
                                verbose_name="照片",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "道德模范",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="NoticePage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        (
                            "category",
                            models.CharField(
                                choices=[
                                    ("affairs", "村务"),
                                    ("party", "党务"),
                                    ("safety", "安全"),
                                    ("service", "便民服务"),
                                    ("policy", "政策宣传"),
                                ],
                                default="affairs",
                                max_length=20,
                                verbose_name="类别",
                            ),
                        ),
                        (
                            "urgency",
                            models.CharField(
                                choices=[
                                    ("normal", "一般"),
                                    ("important", "重要"),
                                    ("urgent", "紧急"),
                                ],
                                default="normal",
                                max_length=10,
                                verbose_name="紧急程度",
                            ),
                        ),
                        (
                            "audience",
                            models.CharField(
                                choices=[
                                    ("everyone", "全体村民"),
                                    ("grids", "指定网格或片区"),
                                    ("party", "党员"),
                                    ("representatives", "村民代表"),
                                ],
                                default="everyone",
                                max_length=20,
                                verbose_name="发送范围",
                            ),
                        ),
                        (
                            "publish_on",
                            models.DateField(
                                default=django.utils.timezone.localdate, verbose_name="发布日期"
                            ),
                        ),
                        (
                            "expires_on",
                            models.DateField(blank=True, null=True, verbose_name="有效期至"),
                        ),
                        ("body", wagtail.fields.RichTextField(verbose_name="正文")),
                        (
                            "grids",
                            modelcluster.fields.ParentalManyToManyField(
                                blank=True,
                                help_text="发送范围为“指定网格或片区”时选择；选大网格即包括其全部片区。",
                                related_name="notices",
                                to="village.grid",
                                verbose_name="网格或片区",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "通知公告",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="RulesPage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        ("preamble", models.TextField(blank=True, verbose_name="序言")),
                        (
                            "chapters",
                            wagtail.fields.StreamField(
                                [("chapter", 3)],
                                block_lookup={
                                    0: ("wagtail.blocks.CharBlock", (), {"label": "章"}),
                                    1: ("pages.blocks.ArticleBlock", (), {"label": "条"}),
                                    2: ("wagtail.blocks.ListBlock", (1,), {"label": "条文"}),
                                    3: (
                                        "wagtail.blocks.StructBlock",
                                        [[("title", 0), ("articles", 2)]],
                                        {},
                                    ),
                                },
                                verbose_name="章节",
                            ),
                        ),
                        (
                            "adopted_on",
                            models.DateField(blank=True, null=True, verbose_name="通过日期"),
                        ),
                        (
                            "adopting_resolution_url",
                            models.URLField(blank=True, verbose_name="或决议链接"),
                        ),
                        (
                            "filed_on",
                            models.DateField(blank=True, null=True, verbose_name="报乡镇备案日期"),
                        ),
                        (
                            "adopting_matter",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="deliberation.matter",
                                verbose_name="通过该版本的议题",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "村规民约",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="TodoVisit",
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
                        ("seen_at", models.DateTimeField(verbose_name="上次查看")),
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="todo_visit",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "待办查看记录",
                        "verbose_name_plural": "待办查看记录",
                    },
                ),
                migrations.CreateModel(
                    name="VillageHomePage",
                    fields=[
                        (
                            "page_ptr",
                            models.OneToOneField(
                                auto_created=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                parent_link=True,
                                primary_key=True,
                                serialize=False,
                                to=settings.WAGTAIL_PAGE_MODEL,
                            ),
                        ),
                        ("intro", models.TextField(blank=True, verbose_name="简介")),
                        (
                            "sections",
                            wagtail.fields.StreamField(
                                [("section", 8)],
                                blank=True,
                                block_lookup={
                                    0: (
                                        "wagtail.blocks.ChoiceBlock",
                                        [],
                                        {
                                            "choices": [
                                                ("party", "党建引领"),
                                                ("law", "法治"),
                                                ("virtue", "德治"),
                                                ("autonomy", "自治"),
                                                ("smart", "智治"),
                                            ],
                                            "label": "板块",
                                        },
                                    ),
                                    1: ("wagtail.blocks.CharBlock", (), {"label": "标题"}),
                                    2: (
                                        "wagtail.blocks.RichTextBlock",
                                        (),
                                        {
                                            "features": ["bold", "italic", "link", "ol", "ul"],
                                            "label": "内容",
                                        },
                                    ),
                                    3: ("wagtail.blocks.CharBlock", (), {"label": "文字"}),
                                    4: (
                                        "wagtail.blocks.ChoiceBlock",
                                        [],
                                        {
                                            "choices": [
                                                ("rules", "村规民约"),
                                                ("powers", "小微权力清单"),
                                                ("moral_models", "道德模范"),
                                                ("notices", "通知公告"),
                                                ("matters", "村里的事（表决、决议）"),
                                                ("transparency", "村务公开栏"),
                                                ("suggestions", "村民说事"),
                                                ("me", "我的户"),
                                            ],
                                            "label": "链接到",
                                            "required": False,
                                        },
                                    ),
                                    5: (
                                        "wagtail.blocks.URLBlock",
                                        (),
                                        {"label": "或外部网址", "required": False},
                                    ),
                                    6: (
                                        "wagtail.blocks.StructBlock",
                                        [[("label", 3), ("target", 4), ("url", 5)]],
                                        {},
                                    ),
                                    7: (
                                        "wagtail.blocks.ListBlock",
                                        (6,),
                                        {"label": "链接", "required": False},
                                    ),
                                    8: (
                                        "wagtail.blocks.StructBlock",
                                        [[("pillar", 0), ("title", 1), ("text", 2), ("links", 7)]],
                                        {},
                                    ),
                                },
                                verbose_name="一核五治板块",
                            ),
                        ),
                        (
                            "village",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="home_page",
                                to="village.village",
                                verbose_name="村",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "村首页",
                    },
                    bases=(pages.models.base.SearchableMixin, "wagtailcore.page"),
                ),
                migrations.CreateModel(
                    name="NoticeRead",
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
                        ("read_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "household",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="village.household",
                            ),
                        ),
                        (
                            "notice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="reads",
                                to="pages.noticepage",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
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
                    ],
                    options={
                        "verbose_name": "已读回执",
                        "verbose_name_plural": "已读回执",
                        "indexes": [
                            models.Index(
                                fields=["notice", "household"], name="notice_read_household"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("notice", "villager"), name="notice_read_once"
                            )
                        ],
                    },
                ),
            ]
        ),
    ]
