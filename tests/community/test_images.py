"""A post's image is stored small and served only to those who may read the post."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from community import services
from tests.community.factories import image_upload
from tests.community.factories import topic

pytestmark = pytest.mark.django_db


def test_an_image_is_stored_as_a_small_jpeg(amina):
    post = topic(amina, image=image_upload(size=(4000, 3000), mode="RGBA")).posts.get()
    assert post.image.name.endswith(".jpg")
    with post.image.open("rb") as handle, Image.open(handle) as stored:
        assert stored.format == "JPEG"
        assert max(stored.size) == 1280 and stored.size == (1280, 960)


def test_members_see_the_image_and_others_do_not(client, amina, tendai, newcomer):
    shown = topic(amina, image=image_upload()).posts.get()
    held = topic(newcomer, image=image_upload()).posts.get()
    url = reverse("community:post_image", args=[shown.pk])

    assert client.get(url).status_code == 302  # to the login
    client.force_login(tendai.user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    Image.open(io.BytesIO(b"".join(response.streaming_content))).verify()
    assert client.get(reverse("community:post_image", args=[held.pk])).status_code == 404

    services.post_set_hidden(post=shown, hidden=True, moderator=None)
    assert client.get(url).status_code == 404


def test_the_form_refuses_what_is_not_an_image_and_keeps_the_text(client, amina, network):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(amina.user)
    response = client.post(
        reverse("community:topic_create", args=[network.slug]),
        {
            "title": "With a file",
            "text": "Kept text",
            "image": SimpleUploadedFile("notes.png", b"not an image", content_type="image/png"),
        },
    )
    assert response.status_code == 200
    assert "Kept text" in response.content.decode()
    assert "Upload a valid image" in response.content.decode()


def test_a_member_posts_an_image_through_the_form(client, amina, network):
    client.force_login(amina.user)
    response = client.post(
        reverse("community:topic_create", args=[network.slug]),
        {"title": "A photo", "text": "Look", "image": image_upload()},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'class="post-image"' in page
