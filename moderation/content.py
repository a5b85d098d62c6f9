"""Finding moderatable content from a (content type, id) pair, through the registry only."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.http import Http404

from .registry import kind_for


def get_content(ct_id: int, pk: int) -> Any:
    """The registered content with this content type and id, or 404."""
    try:
        ct = ContentType.objects.get_for_id(ct_id)
    except ContentType.DoesNotExist:
        raise Http404 from None
    model = ct.model_class()
    if model is None or kind_for(model) is None:
        raise Http404
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj
