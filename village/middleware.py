"""Chinese first: the interface language is 简体中文 unless the user chose another one.

Browsers of cadres' office PCs often send an English Accept-Language; a village platform should
not switch to English because of it. The choice made with the language switcher (a cookie) and a
Wagtail admin user's preferred language still apply.
"""


class ChineseFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
