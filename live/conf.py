"""The live app's settings, with their defaults, read when they are needed so that
tests can change them with `override_settings`."""

from django.conf import settings

DEFAULTS: dict[str, float | int | bool] = {
    # Events older than this are deleted by `prune_live_events`; a client away for
    # longer is told to reload instead of being replayed to.
    "LIVE_EVENT_RETENTION_DAYS": 7,
    # One client -> server message (a subscribe with its topic list) at most.
    "LIVE_MAX_MESSAGE_BYTES": 4096,
    "LIVE_MAX_TOPICS_PER_CONNECTION": 50,
    # Token bucket: this many messages a second, with a burst of as many.
    "LIVE_MAX_MESSAGES_PER_SECOND": 10,
    # Open WebSockets at once, per browser session and per client IP address,
    # across all server processes (counted in Redis when REDIS_URL is set, else
    # in the one process). A tab needs one; a household or office behind one
    # address needs many.
    "LIVE_MAX_CONNECTIONS_PER_SESSION": 20,
    "LIVE_MAX_CONNECTIONS_PER_IP": 200,
    # A reconnect that missed more than this is told to reload the page instead.
    "LIVE_REPLAY_MAX_EVENTS": 1000,
    # Embedded mode (in-memory channel layer): how often each Daphne process reads
    # the event log for events published by other processes. 0 turns it off.
    "LIVE_RELAY_POLL_SECONDS": 0.5,
    # Events that could not reach the channel layer (Redis away) are resent from
    # the log in the background: first retry after this many seconds, then
    # doubling up to ten times it. 0: only the next publish resends them.
    "LIVE_RESEND_RETRY_SECONDS": 1.0,
    # How long a connection counter may wait for Redis before counting in this
    # process's memory instead (a slow Redis must not hold a tab's connect).
    "LIVE_COUNT_TIMEOUT_SECONDS": 0.5,
    # Under Daphne, write events straight to the sockets (live/daphne_direct.py).
    "LIVE_DIRECT_SEND": True,
}


def get(name: str) -> float | int | bool:
    return getattr(settings, name, DEFAULTS[name])
