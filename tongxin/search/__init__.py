"""Prebuilt, sharded lunr indexes for the search page (branch sites and the portal alike).

- :mod:`.refs`: document refs (day, hash, collision suffix), read by the browser as numbers;
- :mod:`.format`: lunr's serialised index and the shard writer;
- :mod:`.plan`: which files an index is made of (buckets, hot terms, parts);
- :mod:`.cache`: reuse of built files and of each text's terms between builds;
- :mod:`.writer`: writing shards and meta blocks;
- :mod:`.build`: :func:`build_search_index`, documents in, ``search/`` out;
- :mod:`.delta`: the portal's base-plus-delta index.
"""

from .build import build_search_index
from .delta import (
    DELTA_MAX_SHARE,
    DeltaRefused,
    build_delta_index,
    delta_neighbours,
)
from .model import FIELDS, FORMAT, IndexStats, SearchDoc, date_key

__all__ = [
    "DELTA_MAX_SHARE",
    "FIELDS",
    "FORMAT",
    "DeltaRefused",
    "IndexStats",
    "SearchDoc",
    "build_delta_index",
    "build_search_index",
    "date_key",
    "delta_neighbours",
]
