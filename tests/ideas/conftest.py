import pytest

from tests.factories import make_campaign


@pytest.fixture
def campaign(db):
    return make_campaign(categories=["Parks", "Transport"], location_asked=True)
