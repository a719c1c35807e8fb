"""Local servers that speak the outbox's providers' protocols, for the real adapters to talk to.

- `AliyunSms`: Aliyun's Dysmsapi `SendSms` (RPC style, form POST, signature version 1.0 checked
  here from the API reference, independently of the adapter), with its JSON answers and error
  codes, and a script of forced answers (rate limit, balance, a server error, a stall).
- `PushService`: a Web Push endpoint (RFC 8030) that checks the VAPID token (RFC 8292) and
  decrypts the aes128gcm payload (RFC 8291) with the subscriber's private key, as a browser's
  push service and the browser would; it can answer 410 Gone, 429 or 500 instead.
"""

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Server:
    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- Aliyun SMS ----------------------------------------------------------------------------


@dataclass
class SmsSent:
    phone: str
    sign_name: str
    template: str
    params: dict
    out_id: str
    biz_id: str


class _AliyunHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: dict):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        server: AliyunSms = self.server.owner
        length = int(self.headers.get("Content-Length", 0))
        params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        request_id = str(uuid.uuid4()).upper()
        with server.lock:
            server.requests += 1
            forced = server.script.pop(0) if server.script else None
        if forced in ("stall", "stall-refuse"):
            time.sleep(server.stall_seconds)
            forced = None if forced == "stall" else (200, "isp.SYSTEM_ERROR", "系统错误")
        if isinstance(forced, tuple):
            status, code, message = forced
            return self._answer(status, {"RequestId": request_id, "Code": code, "Message": message})
        error = server.check(params)
        if error:
            status, code, message = error
            return self._answer(status, {"RequestId": request_id, "Code": code, "Message": message})
        if params["Action"] == "QuerySendDetails":
            with server.lock:
                server.queries += 1
            return self._answer(
                200, {"RequestId": request_id, **server.details(params["PhoneNumber"])}
            )
        biz_id = f"{uuid.uuid4().int % 10**18:018d}^0"
        with server.lock:
            server.sent.append(
                SmsSent(
                    phone=params["PhoneNumbers"],
                    sign_name=params["SignName"],
                    template=params["TemplateCode"],
                    params=json.loads(params["TemplateParam"]),
                    out_id=params.get("OutId", ""),
                    biz_id=biz_id,
                )
            )
        return self._answer(
            200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": biz_id}
        )


def aliyun_signature(params: dict, secret: str) -> str:
    """Signature version 1.0 as Aliyun's reference states it (POST)."""

    def enc(s):
        return quote(str(s), safe="~")

    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    string_to_sign = "POST&%2F&" + enc(query)
    mac = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class AliyunSms(_Server):
    KEY_ID, KEY_SECRET = "LTAI-test-key", "test-secret-0123456789"
    SIGN_NAME, TEMPLATE = "东毛铺村委会", "SMS_468120001"

    def __init__(self):
        super().__init__(_AliyunHandler)
        self.lock = threading.Lock()
        self.sent: list[SmsSent] = []
        self.script: list = []
        self.requests = 0
        self.queries = 0
        self.nonces: set[str] = set()
        self.stall_seconds = 1.5

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def settings(self) -> dict:
        return {
            "FILE": "",
            "ENDPOINT": self.endpoint,
            "ACCESS_KEY_ID": self.KEY_ID,
            "ACCESS_KEY_SECRET": self.KEY_SECRET,
            "SIGN_NAME": self.SIGN_NAME,
            "TEMPLATE_CODE": self.TEMPLATE,
            "TIMEOUT": 1.0,
        }

    def check(self, params: dict):
        """Aliyun's checks, in its words: the common parameters and signature, then SendSms's."""
        common = (
            "AccessKeyId Action Format SignatureMethod SignatureNonce SignatureVersion "
            "Timestamp Version Signature"
        ).split()
        send = ["PhoneNumbers", "SignName", "TemplateCode"]
        query = ["PhoneNumber", "SendDate", "PageSize", "CurrentPage"]
        action_fields = query if params.get("Action") == "QuerySendDetails" else send
        missing = [k for k in common + action_fields if not params.get(k)]
        if missing:
            return 400, "MissingParameter", f"{missing[0]} is mandatory for this action."
        if params["AccessKeyId"] != self.KEY_ID:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        given = params.pop("Signature")
        if given != aliyun_signature(params, self.KEY_SECRET):
            return 400, "SignatureDoesNotMatch", "Specified signature is not matched."
        if params["Action"] not in ("SendSms", "QuerySendDetails"):
            return 400, "InvalidAction", "Specified api is not found."
        if params["Version"] != "2017-05-25":
            return 400, "InvalidVersion", "Specified parameter Version is not valid."
        with self.lock:
            if params["SignatureNonce"] in self.nonces:
                return 400, "SignatureNonceUsed", "Specified signature nonce was used already."
            self.nonces.add(params["SignatureNonce"])
        if params["Action"] == "QuerySendDetails":
            return None
        if params["SignName"] != self.SIGN_NAME:
            return 200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"
        if params["TemplateCode"] != self.TEMPLATE:
            return 200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"
        phone = params["PhoneNumbers"]
        if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
            return 200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"
        try:
            variables = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return 200, "isv.INVALID_JSON_PARAM", "JSON参数不合法"
        if any(len(str(v)) > 35 for v in variables.values()):
            return 200, "isv.PARAM_LENGTH_LIMIT", "参数超出长度限制"
        return None

    def wait_for(self, sent: int, seconds: float = 5.0) -> None:
        """Until the server has taken `sent` texts (a stalled request finishes late)."""
        deadline = time.monotonic() + seconds
        while len(self.sent) < sent and time.monotonic() < deadline:
            time.sleep(0.05)

    def details(self, phone: str) -> dict:
        """QuerySendDetails' answer: what this account sent to `phone` (SendStatus 3 = 成功)."""
        with self.lock:
            rows = [s for s in self.sent if s.phone == phone]
        return {
            "Code": "OK",
            "Message": "OK",
            "TotalCount": len(rows),
            "SmsSendDetailDTOs": {
                "SmsSendDetailDTO": [
                    {
                        "PhoneNum": s.phone,
                        "SendStatus": 3,
                        "ErrCode": "DELIVERED",
                        "TemplateCode": s.template,
                        "OutId": s.out_id,
                        "Content": json.dumps(s.params, ensure_ascii=False),
                    }
                    for s in rows
                ]
            },
        }


# --- Web Push ----------------------------------------------------------------------------


@dataclass
class Subscriber:
    """A browser's side of a subscription: its keys, and what it decrypted."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    received: list = field(default_factory=list)

    def subscription(self) -> dict:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64u(public), "auth": b64u(self.auth)},
        }


class _PushHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, status: int, text: str = ""):
        data = text.encode()
        self.send_response(status)
        if status == 201:
            self.send_header("Location", f"{self.path}/m/{uuid.uuid4().hex}")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        service: PushService = self.server.owner
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        token = service.path_token(self.path)
        with service.lock:
            service.requests += 1
            subscriber = service.subscribers.get(token)
            forced = service.script.get(token, [])
            answer = forced.pop(0) if forced else None
        if subscriber is None:
            return self._answer(404, "no such subscription")
        if answer is not None:
            return self._answer(answer, "forced")
        problem = service.check_vapid(self.headers.get("Authorization", ""), self.path)
        if problem:
            return self._answer(401, problem)
        if self.headers.get("Content-Encoding") != "aes128gcm" or not self.headers.get("TTL"):
            return self._answer(400, "aes128gcm body and TTL required")
        try:
            plain = http_ece.decrypt(
                body,
                private_key=subscriber.private_key,
                auth_secret=subscriber.auth,
                version="aes128gcm",
            )
        except Exception as exc:  # what a browser would drop
            return self._answer(400, f"cannot decrypt: {exc}")
        with service.lock:
            subscriber.received.append(
                {
                    "payload": json.loads(plain),
                    "urgency": self.headers.get("Urgency"),
                    "topic": self.headers.get("Topic"),
                    "ttl": self.headers.get("TTL"),
                }
            )
        return self._answer(201)


class PushService(_Server):
    def __init__(self, vapid_public_key: str | None = None):
        super().__init__(_PushHandler)
        self.lock = threading.Lock()
        self.subscribers: dict[str, Subscriber] = {}
        self.script: dict[str, list[int]] = {}
        self.requests = 0
        self.vapid_public_key = vapid_public_key

    @staticmethod
    def path_token(path: str) -> str:
        return path.rstrip("/").rsplit("/", 1)[-1]

    def subscriber(self) -> Subscriber:
        token = uuid.uuid4().hex
        s = Subscriber(
            endpoint=f"http://127.0.0.1:{self.port}/push/{token}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
        )
        self.subscribers[token] = s
        return s

    def answer_next(self, subscriber: Subscriber, *statuses: int) -> None:
        self.script.setdefault(self.path_token(subscriber.endpoint), []).extend(statuses)

    def check_vapid(self, header: str, path: str) -> str:
        """RFC 8292: `vapid t=<JWT>, k=<public key>`; the JWT signed ES256 by that key, for this
        origin, not expired, with a subject."""
        if not header.startswith("vapid "):
            return "no vapid authorization"
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
        token, key = parts.get("t", ""), parts.get("k", "")
        if self.vapid_public_key and key != self.vapid_public_key:
            return "unknown application server key"
        head, claims, signature = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
        raw = unb64u(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        try:
            public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:
            return "bad vapid signature"
        body = json.loads(unb64u(claims))
        if body.get("aud") != f"http://127.0.0.1:{self.port}":
            return "wrong audience"
        if body.get("exp", 0) < time.time() or not body.get("sub"):
            return "expired or no subject"
        return ""


def vapid_keys() -> tuple[str, str]:
    """An application server's VAPID key pair: (private, public), base64url as
    `CUNZHI_VAPID_PRIVATE_KEY` and `CUNZHI_VAPID_PUBLIC_KEY` take them."""
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.private_numbers().private_value.to_bytes(32)
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64u(raw), b64u(public)
