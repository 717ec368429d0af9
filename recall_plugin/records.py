"""The plain records of memory, exchanged between every layer: what the extractor (or a note,
or an import) writes, and what the store gives back.

Write side: ``Observation`` (one piece of work worth remembering) and ``Summary`` (a
session's summary), as parsed from a model's reply; where and when they belong is given to
the store alongside. Read side: ``StoredObservation`` and ``StoredSummary``, one row each,
with every column (list columns decoded to tuples) in the table's column order.

Ground floor and hook hot path (SessionStart reads observations inside the hook): no
``dataclasses``, ``typing`` or ``collections`` at run time. The classes are written by hand:
immutable (``__slots__``, assignment refused), compared and hashed by their fields, with the
methods in one base (``Record``) and what an observation or a summary holds declared once
(``ObservationFields``, ``SummaryFields``) for both the write and the read side.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~5 ms to import; mypy still reads the block below
if TYPE_CHECKING:
    from typing import TypeVar

    R = TypeVar("R", bound="Record")

_put = object.__setattr__  # how a record sets its own fields (its __setattr__ refuses)


class Record:
    """An immutable record; ``FIELDS`` names its fields in order (its constructor's order)."""

    __slots__ = ()
    FIELDS: tuple[str, ...] = ()

    def _set(self, **values: object) -> None:
        for name, value in values.items():
            _put(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (use replace)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def values(self) -> tuple[object, ...]:
        """The field values, in ``FIELDS`` order."""
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.values() == other.values()

    def __hash__(self) -> int:
        return hash(self.values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({inner})"

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return type(self), self.values()

    def replace(self: R, **changes: object) -> R:
        """A copy with ``changes`` (field name -> value); an unknown name is a TypeError."""
        unknown = set(changes) - set(self.FIELDS)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(**{name: changes.get(name, getattr(self, name)) for name in self.FIELDS})

    def as_dict(self) -> dict[str, object]:
        """Field name -> value, in ``FIELDS`` order (tuples stay tuples)."""
        return {name: getattr(self, name) for name in self.FIELDS}


# -- what is recorded, declared once for the write and the read side -------------------------
class ObservationFields:
    """The fields of a piece of work worth remembering (no slots of its own: each record class
    lays out all of its fields)."""

    __slots__ = ()
    type: str
    title: str
    subtitle: str
    facts: tuple[str, ...]
    narrative: str
    concepts: tuple[str, ...]
    files_read: tuple[str, ...]
    files_modified: tuple[str, ...]


class SummaryFields:
    """The fields of a session's summary."""

    __slots__ = ()
    request: str
    investigated: str
    learned: str
    completed: str
    next_steps: str
    notes: str


# -- write side ---------------------------------------------------------------------------
class Observation(ObservationFields, Record):
    """One piece of work worth remembering; ``type`` is always one of ``vocab.OBSERVATION_TYPES``."""

    FIELDS = ("type", "title", "subtitle", "facts", "narrative", "concepts", "files_read",
                 "files_modified")
    __slots__ = FIELDS
    LISTS = ("facts", "concepts", "files_read", "files_modified")

    def __init__(self, type: str, title: str, subtitle: str = "", facts: tuple[str, ...] = (),
                 narrative: str = "", concepts: tuple[str, ...] = (), files_read: tuple[str, ...] = (),
                 files_modified: tuple[str, ...] = ()) -> None:
        self._set(type=type, title=title, subtitle=subtitle, facts=facts, narrative=narrative,
                  concepts=concepts, files_read=files_read, files_modified=files_modified)


class Summary(SummaryFields, Record):
    """A session's summary; a field the model left out is an empty string."""

    FIELDS = ("request", "investigated", "learned", "completed", "next_steps", "notes")
    __slots__ = FIELDS

    def __init__(self, request: str = "", investigated: str = "", learned: str = "",
                 completed: str = "", next_steps: str = "", notes: str = "") -> None:
        self._set(request=request, investigated=investigated, learned=learned,
                  completed=completed, next_steps=next_steps, notes=notes)


# -- read side ----------------------------------------------------------------------------
class StoredObservation(ObservationFields, Record):
    """One row of ``observations``, as stored (``flagged``: why it reads as an instruction to
    the agent, '' when it does not)."""

    FIELDS = ("id", "session_id", "project", "prompt_number", "type", "title", "subtitle",
                 "facts", "narrative", "concepts", "files_read", "files_modified",
                 "source_event_ids", "batch_key", "input_tokens", "output_tokens", "created_at",
                 "flagged")
    __slots__ = FIELDS
    LISTS = ("facts", "concepts", "files_read", "files_modified", "source_event_ids")
    id: int
    session_id: str
    project: str
    prompt_number: int | None
    source_event_ids: tuple[int, ...]
    batch_key: str | None
    input_tokens: int
    output_tokens: int
    created_at: str
    flagged: str

    def __init__(self, id: int, session_id: str, project: str, prompt_number: int | None,
                 type: str, title: str, subtitle: str = "", facts: tuple[str, ...] = (),
                 narrative: str = "", concepts: tuple[str, ...] = (),
                 files_read: tuple[str, ...] = (), files_modified: tuple[str, ...] = (),
                 source_event_ids: tuple[int, ...] = (), batch_key: str | None = None,
                 input_tokens: int = 0, output_tokens: int = 0, created_at: str = "",
                 flagged: str = "") -> None:
        put = _put  # one call per field, unrolled: SessionStart builds hundreds inside the hook
        put(self, "id", id)
        put(self, "session_id", session_id)
        put(self, "project", project)
        put(self, "prompt_number", prompt_number)
        put(self, "type", type)
        put(self, "title", title)
        put(self, "subtitle", subtitle)
        put(self, "facts", facts)
        put(self, "narrative", narrative)
        put(self, "concepts", concepts)
        put(self, "files_read", files_read)
        put(self, "files_modified", files_modified)
        put(self, "source_event_ids", source_event_ids)
        put(self, "batch_key", batch_key)
        put(self, "input_tokens", input_tokens)
        put(self, "output_tokens", output_tokens)
        put(self, "created_at", created_at)
        put(self, "flagged", flagged)

    @property
    def observation(self) -> Observation:
        """What was recorded, without where and when."""
        return Observation(self.type, self.title, self.subtitle, self.facts, self.narrative,
                           self.concepts, self.files_read, self.files_modified)


class StoredSummary(SummaryFields, Record):
    """One row of ``summaries`` (one per session), as stored."""

    FIELDS = ("id", "session_id", "project", "prompt_number", "request", "investigated",
                 "learned", "completed", "next_steps", "notes", "input_tokens", "output_tokens",
                 "created_at", "updated_at", "last_event_id", "flagged")
    __slots__ = FIELDS
    id: int
    session_id: str
    project: str
    prompt_number: int | None
    input_tokens: int
    output_tokens: int
    created_at: str
    updated_at: str
    last_event_id: int | None
    flagged: str

    def __init__(self, id: int, session_id: str, project: str, prompt_number: int | None,
                 request: str = "", investigated: str = "", learned: str = "", completed: str = "",
                 next_steps: str = "", notes: str = "", input_tokens: int = 0,
                 output_tokens: int = 0, created_at: str = "", updated_at: str = "",
                 last_event_id: int | None = None, flagged: str = "") -> None:
        self._set(id=id, session_id=session_id, project=project, prompt_number=prompt_number,
                  request=request, investigated=investigated, learned=learned,
                  completed=completed, next_steps=next_steps, notes=notes,
                  input_tokens=input_tokens, output_tokens=output_tokens, created_at=created_at,
                  updated_at=updated_at, last_event_id=last_event_id, flagged=flagged)

    @property
    def summary(self) -> Summary:
        """What was recorded, without where and when."""
        return Summary(self.request, self.investigated, self.learned, self.completed,
                       self.next_steps, self.notes)
