"""Templates that live in the item types' homes (``quizzes/items/<type>/templates/``).

``items/<type>/<file>`` (what ``Item.template`` names) is found by Jinja's own loaders: the
file in the type's ``templates`` folder or, when the type has none of that name, in its
nearest base type's (``quizzes/items/templates`` last), as ``Item.template_dirs`` orders them.
"""

from __future__ import annotations

from jinja2 import FileSystemLoader, PrefixLoader

from quizzes.items import ITEM_TYPES


def item_template_loader() -> PrefixLoader:
    """A loader of ``items/<type>/<file>`` from the home of the registered type named ``<type>``."""
    by_type = {name: FileSystemLoader(item_type.template_dirs()) for name, item_type in ITEM_TYPES.items()}
    return PrefixLoader({"items": PrefixLoader(by_type)})
