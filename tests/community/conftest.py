import pytest

from community import services
from tests.community.factories import regular_member
from tests.members.factories import MemberFactory


@pytest.fixture
def network(db):
    return services.network_room()


@pytest.fixture
def amina(network):
    """A regular member (past the new-member hold) from Kenya."""
    return regular_member(first_name="Amina", last_name="Otieno", home_country="KE")


@pytest.fixture
def tendai(network):
    """Another regular member, from Zimbabwe."""
    return regular_member(first_name="Tendai", last_name="Moyo", home_country="ZW")


@pytest.fixture
def newcomer(network):
    """A member who has never posted."""
    return MemberFactory(first_name="Nia", last_name="Newcomer", home_country="KE")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def unlimited(monkeypatch):
    """No posting rate limit, for tests that build long conversations (the limits have tests of
    their own)."""
    monkeypatch.setattr(services, "POST_LIMITS", ())
    monkeypatch.setattr(services, "NEW_MEMBER_POST_LIMITS", ())
