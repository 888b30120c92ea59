"""Terminal controls never survive into what is shown."""

from __future__ import annotations

from self_improving_agent.base.text import printable, shown

HOSTILE = "ok\x1b]0;owned\x07 \x1b[2J\x1b[1;1H\rfake\x08 \x9b31m\u202eevil\x1bPq\x1b\\ end\t\n"


def test_printable_strips_escapes_and_controls_but_keeps_tabs_and_newlines() -> None:
    assert printable(HOSTILE) == "ok fake evilq end\t\n"
    assert printable("plain text: 3 of 4 tests passed") == "plain text: 3 of 4 tests passed"


def test_shown_keeps_colour_only() -> None:
    text = "\x1b[32mpassed\x1b[0m " + HOSTILE
    out = shown(text)
    assert out.startswith("\x1b[32mpassed\x1b[0m ok")
    assert "\x1b]" not in out and "\x1b[2J" not in out and "\r" not in out and "\x07" not in out
