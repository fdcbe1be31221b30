from __future__ import annotations

from django import forms

from annotations.models import Document, Project, Tag


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "author", "source", "text"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 12, "placeholder": "Paste the essay here."}),
        }


class SpanCreateForm(forms.Form):
    """What the browser sends after measuring a selection (offsets in code points)."""

    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=1)
    tag = forms.CharField(max_length=80, help_text="The tag's slug or id.")
    quote = forms.CharField(strip=False, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_tag(self) -> Tag:
        return _tag_of(self.project, self.cleaned_data["tag"])


class SpanEditForm(forms.Form):
    tag = forms.CharField(max_length=80, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

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

    def clean_shortcut(self) -> str:
        shortcut = self.cleaned_data["shortcut"].lower()
        if shortcut and (not shortcut.isprintable() or shortcut.isspace()):
            raise forms.ValidationError("Use one printable key, such as c or 1.")
        clash = Tag.objects.filter(project=self.instance.project, shortcut=shortcut)
        if shortcut and clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"The key “{shortcut}” is taken by another tag.")
        return shortcut


def _tag_of(project: Project, value: str) -> Tag:
    tag = project.tags.find(value, by_id=True)
    if tag is None:
        raise forms.ValidationError(f"There is no tag “{value}” in this project.")
    return tag
