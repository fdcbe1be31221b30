from __future__ import annotations

from django.contrib import admin

from annotations.models import (
    Document,
    Membership,
    Project,
    Revision,
    Span,
    Suggestion,
    SuggestionRun,
    Tag,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class TagInline(admin.TabularInline):
    model = Tag
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline, TagInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created_at"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "user__email", "project__name"]
    autocomplete_fields = ["user", "project"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "slug", "colour", "shortcut", "position"]
    list_filter = ["project"]
    search_fields = ["name", "slug", "description"]


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["number", "created_by", "created_at", "message", "summary"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "author", "revision", "created_at", "updated_at"]
    list_filter = ["project"]
    search_fields = ["title", "author", "source"]
    date_hierarchy = "created_at"
    # The text changes only as a new revision (the "Edit the text" page), which moves the
    # spans with it; an edit here would leave them on the wrong words.
    inlines = [RevisionInline]

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return ["text", "revision"] if obj is not None else ["revision"]


#: The first columns of anything with a tag on words of a document (spans, suggestions).
_PLACED = ["id", "document", "tag", "start", "end"]


@admin.register(Span)
class SpanAdmin(admin.ModelAdmin):
    list_display = [*_PLACED, "anchor", "author", "origin", "created_at"]
    list_filter = ["anchor", "origin", "tag__project", "tag"]
    # Offsets and quote follow the text's revisions; set by hand they would point elsewhere.
    readonly_fields = ["start", "end", "quote", "anchor", "prefix", "suffix"]

    def get_queryset(self, request):
        return Span.everything.select_related("document", "tag", "author")

    search_fields = ["quote", "note", "document__title", "author__username"]
    raw_id_fields = ["document"]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = [*_PLACED, "score", "rule", "status", "created_at"]
    list_filter = ["status", "rule", "tag__project", "tag"]
    search_fields = ["quote", "reason", "document__title"]
    raw_id_fields = ["document", "span", "decided_by"]
    list_select_related = ["document", "tag"]


@admin.register(SuggestionRun)
class SuggestionRunAdmin(admin.ModelAdmin):
    list_display = ["document", "status", "added", "pending", "model", "queued_at", "finished_at"]
    list_filter = ["status", "model"]
    search_fields = ["document__title", "error"]
    raw_id_fields = ["document"]
