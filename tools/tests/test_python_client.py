"""The Python client generated from openapi/openapi.json, used as an integrator would.

Run by scripts/integrators.sh against a release server with demo data, with the client on
PYTHONPATH and, in the environment, CONFREPORTS_URL and the credentials of an OAuth application
holding `events:read` (made with `confreports app create --json`).
"""

import os

import pytest

import confreports_client
from confreports_client.exceptions import ForbiddenException, UnauthorizedException

URL = os.environ["CONFREPORTS_URL"]
CLIENT_ID = os.environ["CONFREPORTS_CLIENT_ID"]
CLIENT_SECRET = os.environ["CONFREPORTS_CLIENT_SECRET"]


def client(token=None):
    return confreports_client.ApiClient(confreports_client.Configuration(host=URL, access_token=token))


@pytest.fixture(scope="module")
def token():
    answer = confreports_client.Oauth2Api(client()).issue_token(
        grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert answer.token_type == "Bearer"
    assert answer.scope == "events:read"
    assert answer.expires_in > 0
    return answer.access_token


@pytest.fixture(scope="module")
def events(token):
    return confreports_client.EventsApi(client(token))


def walk(events, limit, **filters):
    """Every event the filter selects, following next_cursor; the ids in order, and the pages."""
    ids, pages, cursor = [], 0, None
    while True:
        page = events.list_events(limit=limit, cursor=cursor, **filters)
        pages += 1
        assert len(page.items) <= limit
        ids.extend(e.id for e in page.items)
        cursor = page.next_cursor
        if cursor is None:
            return ids, pages
        assert page.items, "a page with a next_cursor has items"
        assert pages < 10_000, "the cursor does not end"


def test_every_event_exactly_once(events):
    total = events.count_events().count
    assert total > 500, f"the demo data should have many events, not {total}"
    ids, pages = walk(events, limit=173)
    print(f"{total} events in {pages} pages")
    assert pages in (-(-total // 173), -(-total // 173) + 1)
    assert len(ids) == total
    assert len(set(ids)) == total, "an event was seen twice"


def test_every_event_exactly_once_oldest_first_and_filtered(events):
    login = confreports_client.EventType.LOGIN
    total = events.count_events(type=[login]).count
    assert total > 0
    ids, _ = walk(events, limit=50, type=[login], sort="time")
    assert len(ids) == total and len(set(ids)) == total
    one = events.get_event(ids[0])
    assert one.type == login and one.id == ids[0]


def test_the_token_is_not_a_key_to_everything(token):
    with pytest.raises(ForbiddenException):
        confreports_client.CallsApi(client(token)).count_calls()


def test_no_token_no_events():
    with pytest.raises(UnauthorizedException):
        confreports_client.EventsApi(client()).count_events()
