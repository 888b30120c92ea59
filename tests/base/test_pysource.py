"""Python source is read as Python reads it: BOM, coding cookie, CRLF."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from self_improving_agent.base.pysource import BOM, decode_source, parse_source, read_source

CASES = {
    "bom.py": b"\xef\xbb\xbfimport os\r\n\r\nx = 1\r\n",
    "latin.py": "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"),
    "crlf_no_final_newline.py": b"x = 1\r\ny = 2",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_python_compiles_is_what_is_read(tmp_path: Path, name: str) -> None:
    data = CASES[name]
    path = tmp_path / name
    path.write_bytes(data)
    text = read_source(path)
    assert not text.startswith(BOM)
    # Python itself compiles the bytes; the text read parses to the same tree.
    assert ast.dump(parse_source(text)) == ast.dump(ast.parse(data))
    assert "caf\xe9" in text if name == "latin.py" else True


def test_text_read_with_its_bom_still_parses() -> None:
    as_read_text = b"\xef\xbb\xbfx = 1\r\n".decode("utf-8")
    assert as_read_text.startswith(BOM)
    with pytest.raises(SyntaxError):
        ast.parse(as_read_text)
    assert ast.dump(parse_source(as_read_text)) == ast.dump(ast.parse("x = 1\n"))


def test_a_cookie_naming_no_codec_is_refused_as_python_refuses_it() -> None:
    data = b"# -*- coding: no-such-codec -*-\nx = 1\n"
    with pytest.raises(SyntaxError):
        ast.parse(data)
    with pytest.raises(SyntaxError):
        decode_source(data)


def test_an_undecodable_file_is_still_readable_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_bytes(b"\xef\xbb\xbfx = '\xff'\n")
    with pytest.raises((SyntaxError, ValueError)):
        read_source(path)
    assert read_source(path, errors="replace") == "x = '\ufffd'\n"
