"""Writes that are more than saving a form: one service per kind of write, called by
the admin, the API, imports and commands alike.

Plain functions with keyword-only arguments; each is one transaction and attributes
each change in the history.
"""

from .agreements import (
    Participant,
    Partner,
    Source,
    agreement_save,
    agreements_create,
)
from .merging import MergeSummary, institutions_merge
from .reverting import agreement_revert
from .rows import RowChanges
from .workflow import (
    TransitionResult,
    allowed_states,
    publication_move,
    publish_permission,
    stamp_publication,
)

__all__ = [
    "MergeSummary",
    "Participant",
    "Partner",
    "RowChanges",
    "Source",
    "TransitionResult",
    "agreement_revert",
    "agreement_save",
    "agreements_create",
    "allowed_states",
    "institutions_merge",
    "publication_move",
    "publish_permission",
    "stamp_publication",
]
