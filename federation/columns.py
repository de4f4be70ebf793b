"""Which column (content type) an entry from another CMS goes in, by its categories.

A Tongxin branch says its type in its own terms (``tx:type``, a category in the type
scheme). Other CMSs file entries under columns of their own: WordPress writes
``<category>通知公告</category>``, a government site's CMS ``公示`` or ``学习园地``. Without
reading them every such entry was 要闻, so the health page found the announcement and study
columns of every non-Tongxin branch blank and called the branch at risk.

A category names a column when, folded to Simplified, in lower case and without spaces, it is:

- a type's own name (``announcements``) or the name the theme shows for it in any language
  (通知公告, 學習園地, Study);
- one of the common column names below;
- or one the registry's ``types`` lists for it (``types: {study: [三会一课]}``), which wins.

The first of an entry's categories that names a column decides; none: 要闻 (news).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from tongxin.config import ARTICLE_TYPES
from tongxin.fold import fold
from tongxin.i18n import LANGUAGES, translate

#: ``Branch.extra`` key: the registry's ``types`` as (category, type) pairs.
CUSTOM = "category_types"

#: Column names Chinese CMSs commonly give these types, besides the theme's.
COMMON: Mapping[str, tuple[str, ...]] = {
    "news": ("新闻", "新闻动态", "工作动态", "动态", "要闻动态"),
    "announcements": ("通知", "公告", "通告", "公示", "公示公告", "通知通告", "公告通知"),
    "study": ("学习资料", "理论学习", "学习教育", "党员学习", "学习"),
}


def column_key(name: str) -> str:
    return "".join(fold(name).lower().split())


def custom_pairs(types: Mapping[str, Iterable[str]] | None) -> tuple[tuple[str, str], ...]:
    """The registry's ``types`` (type → category names) as sorted (category key, type)."""
    pairs = {
        column_key(name): kind
        for kind, names in (types or {}).items()
        for name in names or ()
        if isinstance(name, str) and column_key(name)
    }
    return tuple(sorted(pairs.items()))


@lru_cache(maxsize=16)
def _table(custom: tuple[tuple[str, str], ...]) -> dict[str, str]:
    table = {"pages": "pages"}  # a Tongxin branch's standalone page, by its plain name
    for kind in ARTICLE_TYPES:
        names = [kind, *COMMON.get(kind, ())]
        names += [translate(language, f"theme.type_{kind}") for language in LANGUAGES]
        table.update({column_key(name): kind for name in names})
    table.update(dict(custom))
    return table


def column_of(categories: Iterable[str], custom: tuple[tuple[str, str], ...] = ()) -> str | None:
    """The type the first of ``categories`` naming a column names, if any."""
    table = _table(custom)
    for name in categories:
        found = table.get(column_key(name))
        if found:
            return found
    return None
