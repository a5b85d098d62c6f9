"""Rendering a form's fields once for every reader.

`components/form_fields.html` renders each field through Django's form renderer
(label, widget, help text, errors): a few milliseconds for a short form, on
every page that offers one. An unbound form with the same initial values looks
the same to every reader, so `{% shared_form_fields form %}` renders it once per
form class, initial values, language and version of the pages (live.versions,
as for the shared post articles) and reads it from the cache afterwards. A bound
form (sent back with its errors) is the reader's own and is always rendered.
Use it only for forms whose fields do not depend on the reader.
"""

import hashlib

from django import forms, template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

SECONDS = 3600
TEMPLATE = "components/form_fields.html"


def _key(form: forms.BaseForm) -> str:
    from live import versions

    kind = type(form)
    shape = repr((form.prefix, form.auto_id, sorted(form.initial.items())))
    digest = hashlib.sha256(shape.encode()).hexdigest()[:16]
    return (
        f"forms:fields:{kind.__module__}.{kind.__qualname__}:{digest}:"
        f"{get_language()}:{versions.current()}"
    )


@register.simple_tag
def shared_form_fields(form: forms.BaseForm) -> SafeString:
    if form.is_bound:
        return render_to_string(TEMPLATE, {"form": form})
    key = _key(form)
    html = cache.get(key)
    if html is None:
        html = render_to_string(TEMPLATE, {"form": form})
        cache.set(key, html, SECONDS)
    return mark_safe(html)  # noqa: S308 (rendered by the template above)
