"""Personal reply addresses: only the site can make one; one names one topic and one member."""

from django.test import override_settings

from community.reply_tokens import ReplyTarget
from community.reply_tokens import parse_reply_address
from community.reply_tokens import reply_address


@override_settings(COMMUNITY_REPLY_DOMAIN="reply.example.org")
def test_an_address_names_its_topic_and_member():
    address = reply_address(topic_id=12, participant_id=345)
    assert address.startswith("reply+12-345-") and address.endswith("@reply.example.org")
    assert len(address.split("@")[0]) <= 64
    assert parse_reply_address(address) == ReplyTarget(topic_id=12, participant_id=345)
    assert parse_reply_address(f"  {address.upper()} ") == ReplyTarget(12, 345)


@override_settings(COMMUNITY_REPLY_DOMAIN="reply.example.org")
def test_a_forged_or_changed_address_is_refused():
    address = reply_address(topic_id=12, participant_id=345)
    mac = address.split("@")[0].rsplit("-", 1)[1]
    # Someone else's member id or topic with this mac, a wrong mac, another domain: all refused.
    assert parse_reply_address(f"reply+12-346-{mac}@reply.example.org") is None
    assert parse_reply_address(f"reply+13-345-{mac}@reply.example.org") is None
    assert parse_reply_address("reply+12-345-0000000000000000@reply.example.org") is None
    assert parse_reply_address(address.replace("reply.example.org", "evil.example.org")) is None
    assert parse_reply_address("network@norec.no") is None


def test_a_secret_key_change_invalidates_old_addresses(settings):
    settings.COMMUNITY_REPLY_DOMAIN = "reply.example.org"
    address = reply_address(topic_id=1, participant_id=2)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert parse_reply_address(address) is None


@override_settings(COMMUNITY_REPLY_DOMAIN="")
def test_without_a_reply_domain_reply_by_mail_is_off():
    assert reply_address(topic_id=1, participant_id=2) is None
    assert parse_reply_address("reply+1-2-abcdef0123456789@reply.example.org") is None
