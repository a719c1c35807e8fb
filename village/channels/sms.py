"""Text messages: Aliyun's SMS service (Dysmsapi `SendSms`), and `console` and `file` backends
for development.

Aliyun sends only approved templates under an approved signature (签名): the message is the
template with our variables filled in (`${village}`, `${title}`). Its rules, which the text
here keeps: a variable at most 35 characters; a message (signature included) of up to 70
characters is one text, a longer one is sent as a concatenated message billed per 67
characters, up to 500 characters. The request is the RPC style signed with HMAC-SHA1
(signature version 1.0), as Aliyun's API reference describes; hand-written in some sixty lines
because the official SDK brings a tree of its own packages for this one call."""

import base64
import hashlib
import hmac
import json
import logging
import math
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from .base import Backend, Outgoing, SendError, Sent

logger = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_VARIABLE = 35
SINGLE = 70
PART = 67
LONGEST = 500

# Aliyun's answer codes that trying again later can fix; every other code is final.
TEMPORARY_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",  # sending too fast to one number
    "isv.DAY_LIMIT_CONTROL",
    "isv.AMOUNT_NOT_ENOUGH",  # the account's balance
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "Throttling.User",
    "ServiceUnavailable",
}


def variables(village: str, title: str) -> dict[str, str]:
    """The template's variables, each cut to Aliyun's limit (the notice itself is linked)."""
    return {"village": _shorten(village), "title": _shorten(title)}


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_VARIABLE else text[: MAX_VARIABLE - 1] + "…"


def text_of(village: str, title: str, sign: str) -> str:
    """The message as a phone shows it, for the development backends and for counting."""
    v = variables(village, title)
    return _("【%(sign)s】%(village)s通知：%(title)s。详情请登录村治或问网格员。") % {
        "sign": sign,
        **v,
    }


def segments(text: str) -> int:
    """Billed texts for `text`; over the provider's longest message it is refused."""
    if len(text) > LONGEST:
        raise SendError(_("短信超过%(n)d字，服务商不接受。") % {"n": LONGEST}, permanent=True)
    return 1 if len(text) <= SINGLE else math.ceil(len(text) / PART)


class ConsoleBackend(Backend):
    channel = "sms"

    def send(self, message: Outgoing) -> Sent:
        text = text_of(message.village, message.title, settings.CUNZHI_SMS["SIGN_NAME"])
        n = segments(text)
        logger.warning("SMS to %s: %s", message.phone, text)
        print(f"[短信] {message.phone}: {text}", flush=True)
        return Sent(ref=f"console-{message.delivery_id}", segments=n)


class FileBackend(Backend):
    """Appends each message as a JSON line to `CUNZHI_SMS["FILE"]`."""

    channel = "sms"

    def send(self, message: Outgoing) -> Sent:
        text = text_of(message.village, message.title, settings.CUNZHI_SMS["SIGN_NAME"])
        n = segments(text)
        path = Path(settings.CUNZHI_SMS["FILE"])
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {"phone": message.phone, "text": text, "key": message.key}
        line["out_id"] = message.delivery_id
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        return Sent(ref=f"file-{message.delivery_id}", segments=n)


def _encode(value: str) -> str:
    # Aliyun's percent-encoding: RFC 3986, "~" kept, space as %20.
    return quote(value, safe="~")


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Signature version 1.0 of Aliyun's RPC APIs."""
    canonical = "&".join(f"{_encode(k)}={_encode(params[k])}" for k in sorted(params))
    to_sign = f"{method}&{_encode('/')}&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunBackend(Backend):
    channel = "sms"

    def _call(self, action: str, fields: dict[str, str]) -> dict:
        """One signed RPC call; the answer's JSON, or SendError in the provider's words."""
        conf = settings.CUNZHI_SMS
        if not (conf["ACCESS_KEY_ID"] and conf["ACCESS_KEY_SECRET"] and conf["TEMPLATE_CODE"]):
            raise SendError(_("短信服务未配置（缺少密钥或模板）。"), permanent=True)
        params = {
            "AccessKeyId": conf["ACCESS_KEY_ID"],
            "Action": action,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            **fields,
        }
        params["Signature"] = sign(params, conf["ACCESS_KEY_SECRET"])
        try:
            response = requests.post(conf["ENDPOINT"], data=params, timeout=conf["TIMEOUT"])
        except requests.ConnectTimeout as exc:
            raise SendError(_("短信服务连接失败：%s") % exc.__class__.__name__) from exc
        except requests.RequestException as exc:
            # The request may have arrived: the next attempt asks before sending again.
            raise SendError(
                _("短信服务无应答：%s") % exc.__class__.__name__, uncertain=True
            ) from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = answer.get("Code", "")
        if response.status_code == 200 and code == "OK":
            return answer
        text = f"{code or response.status_code}: {answer.get('Message', '')}".strip(": ")
        temporary = code in TEMPORARY_CODES or (not code and response.status_code >= 500)
        raise SendError(_("短信服务商拒绝：%s") % text, permanent=not temporary)

    def send(self, message: Outgoing) -> Sent:
        conf = settings.CUNZHI_SMS
        n = segments(text_of(message.village, message.title, conf["SIGN_NAME"]))
        answer = self._call(
            "SendSms",
            {
                "PhoneNumbers": message.phone,
                "SignName": conf["SIGN_NAME"],
                "TemplateCode": conf["TEMPLATE_CODE"],
                "TemplateParam": json.dumps(
                    variables(message.village, message.title), ensure_ascii=False
                ),
                # Ours, echoed in Aliyun's records: the delivery row.
                "OutId": str(message.delivery_id),
            },
        )
        return Sent(ref=answer.get("BizId", ""), segments=n)

    def confirm(self, message: Outgoing) -> Sent | None:
        """QuerySendDetails for the phone and today (Beijing time): our OutId among them means
        the uncertain attempt was taken."""
        conf = settings.CUNZHI_SMS
        answer = self._call(
            "QuerySendDetails",
            {
                "PhoneNumber": message.phone,
                "SendDate": datetime.now(BEIJING).strftime("%Y%m%d"),
                "PageSize": "50",
                "CurrentPage": "1",
            },
        )
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        for detail in details:
            if str(detail.get("OutId", "")) == str(message.delivery_id):
                n = segments(text_of(message.village, message.title, conf["SIGN_NAME"]))
                return Sent(ref=str(detail.get("BizId", "")), segments=n)
        return None
