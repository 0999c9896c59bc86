from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from community.images import MAX_UPLOAD_BYTES
from community.models import Post
from community.models import Tag
from community.models import Topic

TEXT_HELP = _("Markdown works: **bold**, *italic*, lists, links.")


class PostForm(forms.Form):
    """A reply; with `needs_conduct`, the first post's "I accept the code of conduct"."""

    text = forms.CharField(
        label=_("Your reply"),
        max_length=Post._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=TEXT_HELP,
    )
    image = forms.ImageField(
        label=_("An image (optional)"),
        required=False,
        help_text=_("A photo or a picture, at most 2 MB. It is made smaller for phones."),
    )
    accept_conduct = forms.BooleanField(
        label=_("I have read the code of conduct and I accept it."), required=False
    )

    def __init__(self, *args, needs_conduct: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_conduct = needs_conduct
        if needs_conduct:
            self.fields["accept_conduct"].required = True
            self.fields["accept_conduct"].error_messages["required"] = _(
                "Please accept the code of conduct to post."
            )
        else:
            del self.fields["accept_conduct"]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and image.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("This image is %(size)s; the limit is %(limit)s.")
                % {
                    "size": filesizeformat(image.size),
                    "limit": filesizeformat(MAX_UPLOAD_BYTES),
                }
            )
        return image


class TopicForm(PostForm):
    title = forms.CharField(label=_("Title"), max_length=Topic._meta.get_field("title").max_length)
    tag = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Tag.objects.all(),
        required=False,
        empty_label=_("(no theme)"),
    )
    field_order = ["title", "text", "tag", "image", "accept_conduct"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Your message")


class PostEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=Topic._meta.get_field("title").max_length)
    text = forms.CharField(
        label=_("Text"),
        max_length=Post._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=TEXT_HELP,
    )

    def __init__(self, *args, with_title: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_title:
            del self.fields["title"]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search the conversations"), max_length=200, required=False)
