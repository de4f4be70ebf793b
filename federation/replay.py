"""A signed feed may not go back in time: an older feed replayed with its valid signature is
refused (``tongxin.signing`` puts a sequence inside the signed bytes).

The highest sequence accepted per branch is kept in the store's ``meta``
(``signed_seq:<branch id>``). A feed whose sequence is lower, or a plain signature without a
sequence once a sequenced one was seen, is refused: the branch shows an error on the health
page and keeps what was stored before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tongxin.i18n import translate

from .model import Branch, FetchResult

if TYPE_CHECKING:
    from .store import Store

_KEY = "signed_seq:"


def check(store: Store, branch: Branch, result: FetchResult, language: str) -> str | None:
    """The health text when ``result`` is a rollback of ``branch``'s signed feed, else None.

    Remembers a higher sequence when the feed is accepted.
    """
    if not branch.requires_signature or result.body is None or result.error is not None:
        return None
    last_text = store.get_meta(_KEY + branch.id)
    last = int(last_text) if last_text and last_text.isdigit() else None
    seq = result.signed_seq
    if last is not None and (seq is None or seq < last):
        return translate(language, "federation.fetch.signature_rollback")
    if seq is not None and (last is None or seq > last):
        store.set_meta(_KEY + branch.id, str(seq))
    return None
