"""`archivestream search QUERY` prints hits with replay links, or says none match."""

from __future__ import annotations

import archived_samples
from archived_samples import Sample, at

from archivestream.api import search_command

PAGE = Sample(
    "http://example.com/tide",
    at("20240102030405"),
    b"<html><title>Tide tables</title><body>High tide &amp; low tide times</body></html>",
    title="Tide tables",
)


async def test_hits_are_printed_with_replay_links(pool, settings, capsys) -> None:
    await archived_samples.archive(pool, settings, [PAGE])
    settings = settings.model_copy(update={"api_port": 3999})

    code = await search_command.main(settings, "tide", limit=5)

    out = capsys.readouterr().out
    assert code == 0
    assert "Tide tables" in out
    assert "http://127.0.0.1:3999/web/20240102030405/http://example.com/tide" in out
    assert "<b>" not in out
    assert "1 capture(s) match 'tide'" in out


async def test_no_match_says_so_and_exits_zero(pool, settings, capsys) -> None:
    code = await search_command.main(settings, "zeppelin", limit=5)
    assert code == 0
    assert "no captures match 'zeppelin'" in capsys.readouterr().out


def test_snippets_become_plain_text() -> None:
    assert search_command.plain("the <b>tide</b> &amp;\n more") == "the tide & more"
