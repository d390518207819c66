"""/timemap/link/{url} is an RFC 7089 TimeMap in application/link-format."""

from __future__ import annotations

import archived_samples
import pytest
from archived_samples import Sample, at

URL = "http://example.com/page?q=1"


@pytest.fixture
async def api(pool, settings):
    samples = [
        Sample(URL, at(ts)) for ts in ("20240101000000", "20240201000000", "20240301000000")
    ]
    await archived_samples.archive(pool, settings, samples)
    async with archived_samples.serving(pool, settings) as client:
        yield client


async def test_timemap_lists_original_timegate_and_every_memento(api) -> None:
    response = await api.get(f"/timemap/link/{URL}")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/link-format")
    lines = (await response.text()).strip().split(",\n")
    base = str(api.make_url("")).rstrip("/")
    assert lines[0] == f'<{URL}>; rel="original"'
    assert lines[1].startswith(f'<{base}/timemap/link/{URL}>; rel="self"')
    assert 'from="Mon, 01 Jan 2024 00:00:00 GMT"' in lines[1]
    assert 'until="Fri, 01 Mar 2024 00:00:00 GMT"' in lines[1]
    assert lines[2] == f'<{base}/web/{URL}>; rel="timegate"'
    assert lines[3] == (
        f'<{base}/web/20240101000000/{URL}>; rel="first memento"; '
        'datetime="Mon, 01 Jan 2024 00:00:00 GMT"'
    )
    assert lines[4].endswith('rel="memento"; datetime="Thu, 01 Feb 2024 00:00:00 GMT"')
    assert lines[5].startswith(f'<{base}/web/20240301000000/{URL}>; rel="last memento"')
    assert len(lines) == 6


async def test_timemap_of_nothing_archived_is_404(api) -> None:
    response = await api.get("/timemap/link/http://never.example.org/")
    assert response.status == 404
    assert "not archived" in (await response.json())["error"]


async def test_timemap_of_a_non_http_url_is_400(api) -> None:
    response = await api.get("/timemap/link/gopher://example.com/")
    assert response.status == 400
    assert "not http or https" in (await response.json())["error"]
