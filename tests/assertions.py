"""Assertions several test modules share."""

from __future__ import annotations


def assert_one_line_error(error: BaseException, path: object, message: str) -> None:
    """A user-facing error starts with the file it is about, says ``message``, and is one line."""
    text = str(error)
    assert text.startswith(str(path)) and message in text, text
    assert "\n" not in text
