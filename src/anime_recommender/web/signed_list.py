"""An imported list that travels with its results page, signed, so other filters, hides and switches re-run
without uploading the file again while the server still keeps nothing (issue #16).

The parsed list (ids, scores, statuses) is serialised, compressed and signed with itsdangerous; the key
comes from LIST_SIGNING_KEY. Unset, each server start makes its own random key (gunicorn preloads the app,
so its workers share it): pages from before a restart then ask for the file again, and no one can forge a
list either way. Set it (a secret, the same on every replica) where replicas sit behind one load balancer.
"""
from __future__ import annotations

import os
import secrets

import numpy as np
from itsdangerous import BadSignature, URLSafeSerializer

from anime_recommender.recommend.lists import ListRows
from anime_recommender.recommend.mal_export import ExportError, MalExport

KEY_ENV = "LIST_SIGNING_KEY"
MAX_TOKEN_BYTES = 1 << 20  # a 5,000-entry list signs to about 20 KB
_SALT = "imported-list-v1"
_KEY = os.environ.get(KEY_ENV) or secrets.token_hex(32)
AGAIN = ("this page's list can no longer be read (the site restarted, or the page was changed): "
         "upload your export again")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(_KEY, salt=_SALT)


def sign_export(export: MalExport) -> str:
    """The parsed list as one signed, compressed, URL-safe string."""
    rows = export.rows
    return _serializer().dumps([rows.anime_ids.tolist(), rows.scores.tolist(), rows.statuses.tolist(),
                                export.entries, export.skipped])


def read_signed(token: str, max_entries: int) -> MalExport:
    """The list `sign_export` wrote; ExportError (400) for a missing, altered or foreign one."""
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise ExportError(AGAIN)
    try:
        ids, scores, statuses, entries, skipped = _serializer().loads(token)
        rows = ListRows(np.array(ids, np.int64), np.array(scores, np.int8), np.array(statuses, np.int8))
    except (BadSignature, ValueError, TypeError, OverflowError):
        raise ExportError(AGAIN) from None
    if not len(rows.anime_ids) == len(rows.scores) == len(rows.statuses) or len(rows) > max_entries:
        raise ExportError(AGAIN)
    return MalExport(rows, int(entries), int(skipped))
