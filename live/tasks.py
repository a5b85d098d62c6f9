"""Background work for the live app: pruning the event log.

Run `manage.py prune_live_events` daily (cron, a systemd timer), or enqueue
`prune_old_events` from anything that schedules django-tasks.
"""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import conf
from .models import Event


def prune_events(days: float | None = None) -> int:
    """Delete events older than `days` (LIVE_EVENT_RETENTION_DAYS); returns how many.

    The newest event is always kept: a reconnecting client compares its cursor
    with the oldest event left to know whether what it missed is still there.
    """
    if days is None:
        days = float(conf.get("LIVE_EVENT_RETENTION_DAYS"))
    newest = Event.objects.order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Event.objects.filter(created_at__lt=cutoff, id__lt=newest).delete()
    return deleted


@task()
def prune_old_events(days: float | None = None) -> int:
    return prune_events(days)
