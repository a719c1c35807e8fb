"""The demo's grid work: events in every state across areas."""


def build_demo(township, stdout) -> None:
    return None
