from __future__ import annotations

from django import forms

from annotations.models import (
    RESERVED_SHORTCUTS,
    Document,
    Project,
    Tag,
    reserved_shortcut_message,
    tag_slug,
)

SHORTCUT_TAKEN = "The key “{key}” is taken by the tag “{tag}”."
TAG_NAME_CLASH = (
    "“{name}” is too close to the tag “{other}”: tag names must differ in more than "
    "case, spaces or punctuation."
)
#: Pasting goes through one form post; a longer text is imported as a file (no such limit).
PASTE_MAX_BYTES = 2 * 1024 * 1024
PASTE_TOO_LONG = (
    "This text is {size} long; pasting takes up to {limit}. Import it as a file "
    "(.txt, .md, .docx …) with “Import documents” instead: files up to {file_limit} each."
)


def human_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "author", "source", "text"]
        widgets = {
            "text": forms.Textarea(
                attrs={
                    "rows": 12,
                    "placeholder": "Paste the essay here.",
                    "data-max-bytes": PASTE_MAX_BYTES,
                    "aria-describedby": "paste-limit",
                }
            ),
        }

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        size = len(text.encode("utf-8"))
        if size > PASTE_MAX_BYTES:
            raise forms.ValidationError(paste_too_long(size))
        return text


def paste_too_long(size: int) -> str:
    from django.conf import settings

    file_limit = settings.HERLENS_IMPORT_LIMITS["max_file_bytes"]
    return PASTE_TOO_LONG.format(
        size=human_bytes(size),
        limit=human_bytes(PASTE_MAX_BYTES),
        file_limit=human_bytes(file_limit),
    )


class SpanCreateForm(forms.Form):
    """What the browser sends after measuring a selection (offsets in code points)."""

    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    tag = forms.CharField(max_length=80, help_text="The tag's slug or id.")
    quote = forms.CharField(strip=False, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, *args, project: Project, tags: list[Tag] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        #: The project's tags, when the view has read them already (it draws them after).
        self.tags = tags

    def clean_tag(self) -> Tag:
        value = self.cleaned_data["tag"]
        # The page sends the tag's id: found among tags already read, without a query, in
        # find()'s order (a slug, then an id); a name goes to the database as before.
        tags = self.tags or ()
        known = next((tag for tag in tags if tag.slug == value), None) or next(
            (tag for tag in tags if str(tag.pk) == value), None
        )
        return known or _tag_of(self.project, value)


class SpanEditForm(forms.Form):
    tag = forms.CharField(max_length=80, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    #: The version the page showed; an edit on an older one is refused (409), not applied.
    version = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_tag(self) -> Tag | None:
        value = self.cleaned_data["tag"]
        return _tag_of(self.project, value) if value else None


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "colour", "shortcut", "description"]
        widgets = {
            "colour": forms.TextInput(attrs={"type": "color"}),
            "description": forms.TextInput(),
        }

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        slug = tag_slug(name)
        others = Tag.objects.filter(project=self.instance.project).exclude(pk=self.instance.pk)
        other = others.filter(slug=slug).first() or others.filter(name__iexact=name).first()
        if other is not None:
            raise forms.ValidationError(TAG_NAME_CLASH.format(name=name, other=other.name))
        self.instance.slug = slug
        return name

    def clean_shortcut(self) -> str:
        shortcut = self.cleaned_data["shortcut"].lower()
        if shortcut and (not shortcut.isprintable() or shortcut.isspace()):
            raise forms.ValidationError("Use one printable key, such as c or 1.")
        if shortcut in RESERVED_SHORTCUTS:
            raise forms.ValidationError(reserved_shortcut_message(shortcut))
        clash = Tag.objects.filter(project=self.instance.project, shortcut=shortcut)
        other = clash.exclude(pk=self.instance.pk).first() if shortcut else None
        if other is not None:
            raise forms.ValidationError(SHORTCUT_TAKEN.format(key=shortcut, tag=other.name))
        return shortcut


def _tag_of(project: Project, value: str) -> Tag:
    tag = project.tags.find(value, by_id=True)
    if tag is None:
        raise forms.ValidationError(f"There is no tag “{value}” in this project.")
    return tag
