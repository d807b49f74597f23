"""MyAnimeList's watching statuses: the one vocabulary of list statuses (the Kaggle files' codes, one name each).

Ingestion validates codes with it, the sample generator writes it, the list import reads MAL's words through
it and the pages show its names. The names are MyAnimeList's own (its site, its list export and anime.csv's
per-status columns); Kaggle's watching_status.csv spells two of them differently ("Currently Watching",
"On Hold"): the sample generator writes those, and every spelling reads as the same status.
"""
from __future__ import annotations

import re
from enum import IntEnum

UNKNOWN = 0  # a list entry whose status could not be read
_NOT_LETTERS = re.compile(r"[^a-z]+")


class Status(IntEnum):
    """A list entry's watching status, by MAL's numeric code (the Kaggle `watching_status` column)."""

    WATCHING = 1
    COMPLETED = 2
    ON_HOLD = 3
    DROPPED = 4
    PLAN_TO_WATCH = 6

    @property
    def label(self) -> str:
        """The status as MyAnimeList writes it: 'Watching', 'On-Hold', 'Plan to Watch'."""
        return _LABELS[self]

    @property
    def kaggle_description(self) -> str:
        """The status as the Kaggle watching_status.csv describes it ('Currently Watching', 'On Hold')."""
        return _KAGGLE_DESCRIPTIONS.get(self, _LABELS[self])

    @classmethod
    def label_of(cls, code: int) -> str:
        """The name of a code, 'Unknown' for 0 or any code MAL does not have."""
        return _LABELS.get(code, "Unknown")

    @classmethod
    def parse(cls, text: str | None) -> int:
        """The code of a status word ('Plan to Watch', 'On Hold', 'currently watching') or of a numeric code;
        UNKNOWN (0) for anything else."""
        text = (text or "").strip()
        return _BY_CODE.get(text) or _BY_WORD.get(_NOT_LETTERS.sub("", text.lower()), UNKNOWN)


_LABELS = {Status.WATCHING: "Watching", Status.COMPLETED: "Completed", Status.ON_HOLD: "On-Hold",
           Status.DROPPED: "Dropped", Status.PLAN_TO_WATCH: "Plan to Watch"}
# where Kaggle's watching_status.csv (and older MAL exports) spell a status differently
_KAGGLE_DESCRIPTIONS = {Status.WATCHING: "Currently Watching", Status.ON_HOLD: "On Hold"}
_BY_CODE = {str(status.value): status for status in Status}
_BY_WORD = {_NOT_LETTERS.sub("", word.lower()): status
            for words in (_LABELS, _KAGGLE_DESCRIPTIONS) for status, word in words.items()}
