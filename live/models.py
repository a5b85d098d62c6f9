"""The append-only event log: every live update is stored before it is sent."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One event on one topic. The id is the monotonic cursor clients resume from."""

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(_("topic"), max_length=100)
    type = models.CharField(_("type"), max_length=60)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["topic", "id"], name="live_event_topic_id_idx")]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.id} {self.topic} {self.type}"

    def as_message(self) -> dict[str, object]:
        """The JSON a client receives (see docs/live-protocol.md)."""
        return {
            "id": self.id,
            "topic": self.topic,
            "type": self.type,
            "data": self.data,
        }
