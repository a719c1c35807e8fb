"""Uploaded files on an S3-compatible bucket (a county's installation; settings: CUNZHI_S3_*).

The bucket stays private. Public images get a plain object URL (the bucket policy lets anyone
read their prefixes, docs/deployment.md); every other file's URL is MEDIA_URL + name, answered
by village.media.serve, which checks and then redirects to a signed URL that lives for
CUNZHI_MEDIA_URL_SECONDS.
"""

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from . import media


class S3MediaStorage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        if not media.is_public(name):
            return settings.MEDIA_URL + filepath_to_uri(name)
        if self.custom_domain:
            return super().url(name, parameters, expire, http_method)
        # An unsigned object URL: it never expires, so a cached page keeps showing the image.
        params = {"Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name))}
        return self.unsigned_connection.meta.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=self.querystring_expire
        )

    def signed_url(self, name: str) -> str:
        """A URL that opens the private object `name` for a few seconds (after the check)."""
        params = {"Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name))}
        return self.connection.meta.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=settings.CUNZHI_MEDIA_URL_SECONDS
        )
