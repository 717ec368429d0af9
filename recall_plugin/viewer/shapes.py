"""The JSON the viewer's API sends (shapes in the package docstring), made from the store's
records here and nowhere else: records travel typed up to this edge."""

from __future__ import annotations

from dataclasses import asdict

from ..store import feed

JSONDict = dict[str, object]


def cursor(found: feed.FeedCursor) -> JSONDict:
    return {"obs": found.observation_id, "sum": found.summary_stamp}


def prompt(found: feed.Prompt) -> JSONDict:
    return {**asdict(found), "private": int(found.private), "kind": "prompt"}


def session_listing(found: feed.SessionListing) -> JSONDict:
    return asdict(found)


def project(found: feed.ProjectListing) -> JSONDict:
    return asdict(found)


def usage(found: feed.Usage) -> JSONDict:
    return {"days": found.days,
            "by_day": [{"day": r.day, "provider": r.provider, **asdict(r.totals)} for r in found.by_day],
            "by_provider": [{"provider": r.provider, **asdict(r.totals)} for r in found.by_provider],
            "by_model": [{"provider": r.provider, "model": r.model, **asdict(r.totals)}
                         for r in found.by_model],
            "today": asdict(found.today), "totals": asdict(found.totals)}


def provider_call(found: feed.ProviderCall | None) -> JSONDict | None:
    return None if found is None else asdict(found)


def provider_error(found: feed.ProviderError | None) -> JSONDict | None:
    return None if found is None else asdict(found)
