"""A settings section of a document (meta["training"], meta["data"], meta["diagnosis"], ...): a dataclass
read from the mapping the document holds, checked, and written back. Known keys are taken and missing ones
defaulted; keys the section does not have are named by `unknown` (a newer netbuilder's, or a typo); what is
wrong with the values is named by `problems`."""
from __future__ import annotations

from dataclasses import asdict, fields


class Section:
    key = ""  # where the document keeps it: meta[key]
    title = ""  # how messages name it ("the training settings")

    def problems(self) -> list[str]:
        """What is wrong with the values, in words; empty when they are usable."""
        return []

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}

    @classmethod
    def from_dict(cls, data: dict | None):
        """Known keys are taken, missing ones defaulted; what is not a mapping, and unknown keys, are left out."""
        return cls(**{k: v for k, v in (data if isinstance(data, dict) else {}).items() if k in cls.names()})

    @classmethod
    def check(cls, data: dict) -> list[str]:
        """The problems of values as a document holds them."""
        return cls.from_dict(data).problems()

    @classmethod
    def unknown(cls, data: dict) -> list[str]:
        return sorted(set(data) - cls.names())

    @classmethod
    def read(cls, meta: dict) -> tuple[list[str], list[str]]:
        """(errors, warnings) of this section of a document's meta: not a mapping, or values the section
        refuses, are errors; keys it does not have are warnings."""
        raw = meta.get(cls.key) if isinstance(meta, dict) else None
        if raw is None:
            return [], []
        if not isinstance(raw, dict):
            return [f"{cls.title} (meta.{cls.key}) must be a mapping of names to values, not {type(raw).__name__}"], []
        unknown = cls.unknown(raw)
        warnings = [f"{cls.title}: unknown setting{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))}"
                    " (ignored: a newer netbuilder's, or a typo)"] if unknown else []
        return [f"{cls.title}: {p}" for p in cls.check(raw)], warnings
