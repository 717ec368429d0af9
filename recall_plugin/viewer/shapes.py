"""The JSON the viewer's API sends (shapes in the package docstring), made from the store's
records here and nowhere else: records travel typed up to this edge."""

from __future__ import annotations

from dataclasses import asdict

from ..records import StoredObservation, StoredSummary
from ..search import Hit
from ..store import calls, feed
from ..store.rows import Prompt

JSONDict = dict[str, object]


def observation(found: StoredObservation) -> JSONDict:
    """Every column (list columns as lists) and ``"kind": "observation"``."""
    record: JSONDict = {name: list(value) if isinstance(value, tuple) else value
                        for name, value in found.as_dict().items()}
    record["kind"] = "observation"
    return record


def summary(found: StoredSummary) -> JSONDict:
    return {**found.as_dict(), "kind": "summary"}


def item(found: Prompt | StoredObservation) -> JSONDict:
    return prompt(found) if isinstance(found, Prompt) else observation(found)


def search_items(hits: list[Hit], observations: list[StoredObservation],
                 summaries: list[StoredSummary]) -> list[JSONDict]:
    """The records of search hits, in hit order, each with the hit's score and what matched
    (a hit whose record is gone is left out)."""
    by_ref = {**{("observation", o.id): observation(o) for o in observations},
              **{("summary", s.id): summary(s) for s in summaries}}
    return [{**by_ref[(hit.kind, hit.id)], "score": round(hit.score, 6), "matched": list(hit.matched),
             "evidence": {"fts": round(hit.fts, 3), "vector": round(hit.vector, 3)}}
            for hit in hits if (hit.kind, hit.id) in by_ref]


def cursor(found: feed.FeedCursor) -> JSONDict:
    return {"obs": found.observation_id, "sum": found.summary_stamp}


def prompt(found: Prompt) -> JSONDict:
    return {"id": found.id, "prompt_number": found.prompt_number, "text": found.text,
            "private": int(found.private), "created_at": found.created_at, "kind": "prompt"}


def session_view(found: feed.SessionView) -> JSONDict:
    return {"session_id": found.session_id, "project": found.project,
            "session": asdict(found.session) if found.session else None,
            "items": [item(i) for i in found.items],
            "summary": summary(found.summary) if found.summary else None,
            "counts": {"prompts": found.prompts, "observations": found.observations}}


def session_listing(found: feed.SessionListing) -> JSONDict:
    return asdict(found)


def project(found: feed.ProjectListing) -> JSONDict:
    return asdict(found)


def usage(found: calls.Usage) -> JSONDict:
    return {"days": found.days,
            "by_day": [{"day": r.day, "provider": r.provider, **asdict(r.totals)} for r in found.by_day],
            "by_provider": [{"provider": r.provider, **asdict(r.totals)} for r in found.by_provider],
            "by_model": [{"provider": r.provider, "model": r.model, **asdict(r.totals)}
                         for r in found.by_model],
            "today": asdict(found.today), "totals": asdict(found.totals)}


def last_call(found: calls.LastCall | None) -> JSONDict | None:
    return None if found is None else asdict(found)


def provider_error(found: calls.ProviderError | None) -> JSONDict | None:
    return None if found is None else asdict(found)
