from __future__ import annotations

from django.contrib import admin

from annotations.models import (
    Document,
    Membership,
    Project,
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


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "author", "created_at", "updated_at"]
    list_filter = ["project"]
    search_fields = ["title", "author", "source"]
    date_hierarchy = "created_at"


@admin.register(Span)
class SpanAdmin(admin.ModelAdmin):
    list_display = ["id", "document", "tag", "start", "end", "author", "origin", "created_at"]
    list_filter = ["origin", "tag__project", "tag"]
    search_fields = ["quote", "note", "document__title", "author__username"]
    raw_id_fields = ["document"]
    list_select_related = ["document", "tag", "author"]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "document",
        "tag",
        "start",
        "end",
        "score",
        "rule",
        "status",
        "created_at",
    ]
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
