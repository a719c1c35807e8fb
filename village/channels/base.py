"""What every channel backend takes, returns and raises."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    key: str  # the event told ("notice:12"): a push's topic, an SMS's OutId
    village: str
    title: str
    body: str
    url: str  # absolute
    urgent: bool
    phone: str = ""
    subscription: dict | None = None  # {"endpoint", "keys": {"p256dh", "auth"}}


@dataclass(frozen=True)
class Sent:
    ref: str = ""  # the provider's id for the message
    segments: int = 0  # billed text messages


class SendError(Exception):
    """permanent: never try again; gone: the device unsubscribed; uncertain: the request left
    and no answer came, so the provider may have taken it."""

    def __init__(
        self, message: str, *, permanent: bool = False, gone: bool = False, uncertain=False
    ):
        super().__init__(message)
        self.permanent = permanent or gone
        self.gone = gone
        self.uncertain = uncertain


class Backend:
    channel = ""

    def send(self, message: Outgoing) -> Sent:
        raise NotImplementedError

    def confirm(self, message: Outgoing) -> Sent | None:
        """After an uncertain attempt: the provider's record of this message, if it took it.
        A backend that cannot ask says None, and the message is sent again."""
        return None
