"""One option framework for every file an editor or operator writes.

:mod:`tongxin.config.options` is the framework (options, issues, ``path:line`` problems);
the schemas are data: :mod:`~tongxin.config.content` (content types, ``site.yaml``, front
matter, quizzes), :mod:`~tongxin.config.registry` (a portal's registry) and
:mod:`~tongxin.config.screen` (the screening rules and a registry's ``screen:`` overrides).
"""

from tongxin.config.content import (
    ARTICLE_TYPES,
    CONTENT_TYPES,
    FRONT_MATTER,
    SITE,
    attachment_path,
    content_type_label,
    series_slugs,
)
from tongxin.config.options import document_problems, parse_document, validate

__all__ = [
    "ARTICLE_TYPES",
    "CONTENT_TYPES",
    "FRONT_MATTER",
    "SITE",
    "attachment_path",
    "content_type_label",
    "document_problems",
    "parse_document",
    "series_slugs",
    "validate",
]
