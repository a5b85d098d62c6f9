"""On a real Daphne, a live event is framed once per process and written straight
to each tab's socket (live/daphne_direct.py), and a tab that reconnects still gets
its replay first, in order, without duplicates. Runs on the in-memory layer in the
SQLite setup and on the Redis fan-out layer in the PostgreSQL + Redis setup."""

import asyncio
import json
import urllib.request
from collections.abc import Iterator

import pytest

from tests.live.test_several_processes import (
    daphne_process,
    mark_all_read_through,
    run_django,
    shared_env,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 20


@pytest.fixture
def server(shared_env: dict[str, str]) -> Iterator[str]:  # noqa: F811
    with daphne_process(shared_env) as (address, _log):
        yield address


def resident(env: dict[str, str], earlier_events: int = 0) -> dict:
    """Ben, signed in, with one unread notification; `earlier_events` events on
    his topic are already in the log (published while no tab was open)."""
    return run_django(
        env,
        "import json\n"
        "from django.db import transaction\n"
        "from django.test import Client\n"
        "import live\n"
        "from accounts.models import Notification\n"
        "from tests.factories import UserFactory\n"
        "ben = UserFactory(display_name='Ben')\n"
        "Notification.objects.create(recipient=ben, kind='reply', text='Hello')\n"
        "ids = []\n"
        f"for n in range({earlier_events}):\n"
        "    with transaction.atomic():\n"
        "        ids.append(live.publish_on_commit(f'user.{ben.pk}', 'thing.happened',"
        " {'n': n}).id)\n"
        "client = Client(); client.force_login(ben)\n"
        "print(json.dumps({'id': ben.pk, 'session': client.cookies['sessionid'].value,"
        " 'events': ids}))",
    )


def live_counts(address: str) -> dict[str, int]:
    with urllib.request.urlopen(f"http://{address}/healthz/ready") as response:  # noqa: S310
        return json.loads(response.read())["live"]


async def open_tab(address: str, ben: dict, last_event_id: int | None = None):
    from websockets.asyncio.client import connect

    tab = await connect(
        f"ws://{address}/ws/live/",
        origin=f"http://{address}",
        additional_headers={"Cookie": f"sessionid={ben['session']}"},
    )
    message: dict = {"action": "subscribe", "topics": [f"user.{ben['id']}"]}
    if last_event_id is not None:
        message["last_event_id"] = last_event_id
    await tab.send(json.dumps(message))
    reply = json.loads(await asyncio.wait_for(tab.recv(), WAIT))
    assert reply == {"type": "subscribed", "topics": [f"user.{ben['id']}"]}
    return tab


async def test_an_event_is_written_to_every_tab_without_waking_their_tasks(
    shared_env,  # noqa: F811
    server,
):
    ben = await asyncio.to_thread(resident, shared_env)
    tabs = [await open_tab(server, ben) for _ in range(3)]
    before = await asyncio.to_thread(live_counts, server)

    status = await asyncio.to_thread(mark_all_read_through, server, ben["session"])
    assert status == 200

    texts = [await asyncio.wait_for(tab.recv(), WAIT) for tab in tabs]
    # One frame, the same bytes for each tab.
    assert len(set(texts)) == 1
    event = json.loads(texts[0])
    assert (event["type"], event["data"]) == (
        "notification.read",
        {"counts": {"unread": 0}},
    )
    after = await asyncio.to_thread(live_counts, server)
    assert after["pushed"] - before["pushed"] == 3
    assert after["queued"] == before["queued"]
    assert after["dropped"] == 0
    for tab in tabs:
        await tab.close()


async def test_a_reconnecting_tab_gets_its_replay_first_then_live_events_once(
    shared_env,  # noqa: F811
    server,
):
    ben = await asyncio.to_thread(resident, shared_env, 3)
    first, *missed = ben["events"]
    tab = await open_tab(server, ben, last_event_id=first)
    replayed = [json.loads(await asyncio.wait_for(tab.recv(), WAIT)) for _ in missed]
    assert [e["id"] for e in replayed] == missed
    before = await asyncio.to_thread(live_counts, server)

    await asyncio.to_thread(mark_all_read_through, server, ben["session"])
    event = json.loads(await asyncio.wait_for(tab.recv(), WAIT))
    assert event["type"] == "notification.read"
    assert event["id"] > missed[-1]
    # After its replay the tab is back on the direct path.
    after = await asyncio.to_thread(live_counts, server)
    assert after["pushed"] - before["pushed"] == 1
    # Nothing else: no event twice.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(tab.recv(), 0.5)
    await tab.close()
