"""Uploaded files: which are public, which are private, and the one view that serves them.

Public: the Wagtail images of the village sites (their originals and renditions). Private:
everything else — points evidence photos, meeting sign-in sheets, suggestion and progress photos,
issued PDFs. Every file URL is MEDIA_URL + name (on S3 too, for private files), and `serve`
answers it: a public image at once, a private file only after the rule its app registered
(asked through village.permissions) says yes — otherwise 404, whether or not the file exists, so
a guessed name tells nothing. Issued PDFs and Wagtail documents are registered by nobody: they
are served only by their own views, which check first.

How the bytes leave (docs/deployment.md): streamed from disk (FileResponse); a redirect to a
short-lived signed URL on S3; or an X-Accel-Redirect to nginx's internal location when
CUNZHI_MEDIA_ACCEL_REDIRECT is set.
"""

import mimetypes
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from wagtail.api.v3.auth import BearerTokenAuth


@dataclass(frozen=True)
class PrivateKind:
    """Files under `prefix` belong to `field` of `model` ("app.Model"); `may_view(user, obj)`
    says who may fetch them."""

    prefix: str
    model: str
    field: str
    may_view: Callable[[object, object], bool]


_KINDS: list[PrivateKind] = []
_discovered = False


def register_private(
    prefix: str, model: str, field: str, may_view: Callable[[object, object], bool]
) -> None:
    """Called from an app's `private_files.py` (found on first use, like admin.py)."""
    if not prefix.endswith("/"):
        raise ValueError(f"a private prefix ends with '/': {prefix!r}")
    if all(kind.prefix != prefix for kind in _KINDS):
        _KINDS.append(PrivateKind(prefix, model, field, may_view))


def private_kinds() -> list[PrivateKind]:
    global _discovered
    if not _discovered:
        autodiscover_modules("private_files")
        _discovered = True
    return list(_KINDS)


def is_public(name: str) -> bool:
    return name.startswith(tuple(settings.CUNZHI_PUBLIC_MEDIA_PREFIXES))


def owner(name: str) -> tuple[PrivateKind, object] | tuple[None, None]:
    """The registered kind and the row that holds the file `name`, if any."""
    for kind in private_kinds():
        if name.startswith(kind.prefix):
            model = apps.get_model(kind.model)
            row = model._default_manager.filter(**{kind.field: name}).order_by().first()
            if row is not None:
                return kind, row
    return None, None


def may_fetch(user, name: str) -> bool:
    """May `user` fetch the stored file `name` through MEDIA_URL?"""
    if is_public(name):
        return True
    kind, row = owner(name)
    return row is not None and bool(kind.may_view(user, row))


def _clean(name: str) -> bool:
    # A stored name is relative and normalised; anything else is a probe (../, //, \, NUL).
    return (
        bool(name)
        and "\\" not in name
        and "\x00" not in name
        and not name.startswith("/")
        and posixpath.normpath(name) == name
    )


@require_safe
def serve(request, name: str):
    if request.headers.get("Authorization", "").startswith("Bearer "):
        # The phone app fetches the photo URLs of its API answers with its API token; a wrong
        # token makes the request anonymous, whatever session cookie came with it.
        BearerTokenAuth()(request)
    if not _clean(name) or not may_fetch(request.user, name):
        raise Http404(_("没有这个文件，或者您无权查看。"))
    response = _deliver(name)
    if is_public(name):
        patch_cache_control(response, public=True, max_age=86400)
    else:
        # Evidence on a shared family phone: kept in no cache, the browser's included.
        patch_cache_control(response, private=True, no_store=True)
    return response


def _deliver(name: str):
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    accel = getattr(settings, "CUNZHI_MEDIA_ACCEL_REDIRECT", "")
    if accel:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(name)
        return response
    signed_url = getattr(default_storage, "signed_url", None)
    if signed_url is not None:  # S3: the bucket is private; the link lives for seconds
        url = default_storage.url(name) if is_public(name) else signed_url(name)
        return HttpResponseRedirect(url)
    try:
        stored = default_storage.open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise Http404(_("没有这个文件，或者您无权查看。")) from None
    return FileResponse(stored, content_type=content_type)
