"""StreamField blocks of the village sites."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

PILLARS = [
    ("party", _("党建引领")),
    ("law", _("法治")),
    ("virtue", _("德治")),
    ("autonomy", _("自治")),
    ("smart", _("智治")),
]

# Symbolic link targets an editor picks; the page resolves them to the village's own pages.
LINK_TARGETS = [
    ("rules", _("村规民约")),
    ("powers", _("小微权力清单")),
    ("moral_models", _("道德模范")),
    ("notices", _("通知公告")),
    ("matters", _("村里的事（表决、决议）")),
    ("transparency", _("村务公开栏")),
    ("suggestions", _("村民说事")),
    ("me", _("我的户")),
]


class SectionLinkBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("文字"))
    target = blocks.ChoiceBlock(choices=LINK_TARGETS, label=_("链接到"), required=False)
    url = blocks.URLBlock(label=_("或外部网址"), required=False)

    class Meta:
        icon = "link"


class GovernanceSectionBlock(blocks.StructBlock):
    """One of 一核五治: a section editors fill for the village home page."""

    pillar = blocks.ChoiceBlock(choices=PILLARS, label=_("板块"))
    title = blocks.CharBlock(label=_("标题"))
    text = blocks.RichTextBlock(label=_("内容"), features=["bold", "italic", "link", "ol", "ul"])
    links = blocks.ListBlock(SectionLinkBlock(), label=_("链接"), required=False)

    class Meta:
        icon = "pick"
        template = "pages/blocks/governance_section.html"


class ArticleBlock(blocks.TextBlock):
    class Meta:
        icon = "doc-full"


class ChapterBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("章"))
    articles = blocks.ListBlock(ArticleBlock(label=_("条")), label=_("条文"))

    class Meta:
        icon = "list-ol"
        template = "pages/blocks/chapter.html"


class PowerBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("权力事项"))
    basis = blocks.CharBlock(label=_("依据"), required=False)
    responsible = blocks.CharBlock(label=_("责任主体"), required=False)
    steps = blocks.ListBlock(blocks.CharBlock(label=_("步骤")), label=_("运行流程"))
    supervision = blocks.CharBlock(label=_("监督方式"), required=False)

    class Meta:
        icon = "list-ul"
        template = "pages/blocks/power.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label=_("小标题"), form_classname="title")
    paragraph = blocks.RichTextBlock(label=_("段落"))
    image = ImageChooserBlock(label=_("图片"))

    class Meta:
        template = "pages/blocks/body.html"
