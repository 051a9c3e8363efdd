"""Reading one field of a worker's reply: one clear ProtocolError for anything malformed (a
worker runs learner code, so every field is read as hostile). Standard library only, like
runspec.py, which uses these."""

from __future__ import annotations

from tutor.sandbox.protocol import ProtocolError

MAX_TEXT = 256 * 1024  # any one string in a reply (messages, reprs, captured check output)
MAX_ITEMS = 100_000  # any one list in a reply


def mapping(data: object, what: str) -> dict:
    if not isinstance(data, dict):
        raise ProtocolError(f"a {what} must be an object, not {type(data).__name__}")
    return data


REQUIRED = object()


def text(data: dict, key: str, default: object = REQUIRED) -> str:
    value = data.get(key, default)
    if value is REQUIRED:
        raise ProtocolError(f"field {key!r} is missing")
    if not isinstance(value, str):
        raise ProtocolError(f"field {key!r} must be text, not {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ProtocolError(f"field {key!r} is over {MAX_TEXT:,} characters")
    return value


def optional_text(data: dict, key: str) -> str | None:
    return None if data.get(key) is None else text(data, key)


def texts(data: dict, key: str, default: object = REQUIRED) -> list[str]:
    value = data.get(key, default)
    if value is REQUIRED:
        raise ProtocolError(f"field {key!r} is missing")
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise ProtocolError(f"field {key!r} must be a list of text")
    for item in value:
        if not isinstance(item, str) or len(item) > MAX_TEXT:
            raise ProtocolError(f"field {key!r} must be a list of text")
    return value


def integer(data: dict, key: str, default: object = REQUIRED) -> int:
    value = data.get(key, default)
    if value is REQUIRED:
        raise ProtocolError(f"field {key!r} is missing")
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**62:
        raise ProtocolError(f"field {key!r} must be a whole number")
    return value


def real(data: dict, key: str) -> float:
    value = data.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        raise ProtocolError(f"field {key!r} must be a number")
    return float(value)


def optional_real(data: dict, key: str) -> float | None:
    return None if data.get(key) is None else real(data, key)


def flag(data: dict, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ProtocolError(f"field {key!r} must be true or false")
    return value
