"""`{% fragment parts "name" %}…{% endfragment %}`: a part of a page kept in the cache under the
key `parts` (a pages.cache.PageFragments) holds for that name; read with the page's other
parts in one round trip, and written with them once the page is rendered."""

from django import template

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, parts, name: str):
        self.nodelist, self.parts, self.name = nodelist, parts, name

    def render(self, context):
        request = context.get("request")
        if request is None or getattr(request, "is_preview", False):
            return self.nodelist.render(context)  # a preview shows the draft: never kept
        parts = self.parts.resolve(context)
        html = parts.get(self.name)
        if html is None:
            html = self.nodelist.render(context)
            parts.keep(self.name, html)
        return html


@register.tag("fragment")
def do_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 3 or bits[2][0] not in "\"'" or bits[2][0] != bits[2][-1]:
        raise template.TemplateSyntaxError('usage: {% fragment parts "name" %}')
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, parser.compile_filter(bits[1]), bits[2][1:-1])
