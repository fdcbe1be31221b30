"""Class pages: start a class, join it, the teacher's roster and settings, assignments.

A class is a project with ``is_class``; its owner is the teacher and its
annotators are the students.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotations import params, throttle
from annotations.models import Assignment, Membership, Project, Role, Span, Submission, Visibility
from annotations.permissions import Action, allows
from annotations.roster import format_code, normalise_code
from annotations.selectors import Status, assignments_for, statuses
from annotations.services.classes import (
    ALREADY_MEMBER,
    accounts_create,
    assignment_remove,
    assignment_set,
    class_create,
    class_for_code,
    class_join,
    class_settings_update,
    document_reveal,
    join_code_rotate,
    membership_change,
    membership_remove,
    membership_seen,
    submission_reopen,
    submission_submit,
)
from annotations.services.errors import DomainError
from annotations.services.submissions import create_once
from annotations.views.access import HtmxHttpRequest, document_for, project_for, require
from annotations.views.errors import plain_text

CLASS_TEMPLATE = "annotations/class.html"
ASSIGNMENTS_TEMPLATE = "annotations/assignments.html"

User = get_user_model()


# --------------------------------------------------------------------------- start and join


@require_http_methods(["GET", "POST"])
def class_new(request: HtmxHttpRequest) -> HttpResponse:
    """Start a class: the user becomes its teacher (owner)."""
    error = ""
    if request.method == "POST":
        try:
            project, created = create_once(
                request,
                "class",
                lambda: class_create(
                    name=request.POST.get("name", ""),
                    teacher=request.user,
                    description=request.POST.get("description", "").strip(),
                ),
                Project,
            )
        except DomainError as exc:
            error = str(exc)
        else:
            if project is None:  # sent twice, and deleted since the first
                return redirect("annotations:home")
            if created:
                messages.success(
                    request, f"Class “{project.name}” started. Share the join code below."
                )
            return redirect("annotations:class", slug=project.slug)
    status = 400 if error else 200
    return render(request, "annotations/class_new.html", {"error": error}, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def join(request: HtmxHttpRequest, code: str = "") -> HttpResponse:
    """Join a class by code: a logged-in user becomes a student; others log in or sign up."""
    code = normalise_code(request.POST.get("code", code))
    context: dict = {"code": format_code(code) if code else "", "error": ""}
    project = None
    client = throttle.client_key(request)
    if code and throttle.is_blocked(throttle.JOIN_CODES, client):
        # Even a right code waits: otherwise guessing goes on and is told when it hits.
        context["error"] = throttle.JOIN_CODES.message
        return render(request, "annotations/join.html", context, status=429)
    if code:
        try:
            project = class_for_code(code)
        except DomainError as exc:
            throttle.record_failure(throttle.JOIN_CODES, client)
            context["error"] = str(exc)
    context["project"] = project
    if request.method == "POST" and project is not None:
        if not request.user.is_authenticated:
            if not project.allow_self_signup:
                back = reverse("annotations:join-code", args=[code])
                return redirect(f"{reverse('login')}?{urlencode({'next': back})}")
            form = UserCreationForm(request.POST)
            if not form.is_valid():
                context["signup_form"] = form
                return render(request, "annotations/join.html", context, status=400)
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        try:
            project, created = class_join(code=code, user=request.user)
        except DomainError as exc:  # closed between the page and the click
            context["error"] = str(exc)
            return render(request, "annotations/join.html", context, status=400)
        if created:
            messages.success(request, f"Welcome to {project.name}.")
        else:
            messages.info(request, ALREADY_MEMBER)
        return redirect("annotations:assignments", slug=project.slug)
    if project is not None and not request.user.is_authenticated and project.allow_self_signup:
        context["signup_form"] = UserCreationForm()
    status = 400 if context["error"] else 200
    return render(request, "annotations/join.html", context, status=status)


# --------------------------------------------------------------------------- the teacher's page


def _roster(project, assignments) -> list[dict]:
    members = list(
        Membership.objects.filter(project=project)
        .select_related("user")
        .order_by("role", "user__username")
    )
    # Counts for the teacher's eyes only (the page needs Action.TEACH).
    per_author = list(
        Span.objects.filter(document__project=project, is_reference=False)
        .order_by()
        .values("author_id")
        .annotate(n=Count("id"), last=Max("updated_at"))
    )
    span_counts = {row["author_id"]: row["n"] for row in per_author}
    last_span = {row["author_id"]: row["last"] for row in per_author}
    student_ids = [m.user_id for m in members if m.role == Role.ANNOTATOR]
    progress = statuses(student_ids, assignments)
    rows = []
    for member in members:
        mine = [a for a in assignments if a.everyone or member.user_id in a.student_ids]
        done = sum(
            progress[(a.pk, member.user_id)].status == Status.SUBMITTED
            for a in mine
            if (a.pk, member.user_id) in progress
        )
        seen = [t for t in (member.last_seen_at, last_span.get(member.user_id)) if t]
        rows.append(
            {
                "membership": member,
                "spans": span_counts.get(member.user_id, 0),
                "last_active": max(seen) if seen else None,
                "assigned": len(mine) if member.role == Role.ANNOTATOR else None,
                "submitted": done,
            }
        )
    return rows


def _assignments(project) -> list[Assignment]:
    assignments = list(
        Assignment.objects.filter(document__project=project)
        .select_related("document")
        .prefetch_related("students")
    )
    for assignment in assignments:
        assignment.student_ids = {s.pk for s in assignment.students.all()}
    return assignments


def _class_context(request, project, role, **extra) -> dict:
    assignments = _assignments(project)
    join_path = (
        reverse("annotations:join-code", args=[project.join_code]) if project.join_code else ""
    )
    return {
        "project": project,
        "role": role,
        "roster": _roster(project, assignments),
        "roles": Role.choices,
        "visibilities": Visibility.choices,
        "join_code": format_code(project.join_code),
        "join_url": request.build_absolute_uri(join_path) if join_path else "",
        **extra,
    }


def _class_project(request, slug):
    """Return a class and the user's role in it; a project that is not a class has no class pages."""
    project, role = project_for(request, slug)
    if not project.is_class:
        raise Http404("This project is not a class.")
    return project, role


def _teacher_project(request, slug):
    project, role = _class_project(request, slug)
    require(role, Action.TEACH)
    return project, role


def _class_answer(request: HtmxHttpRequest, project, role: str, part: str) -> HttpResponse:
    """After a change: the changed part of the class page for htmx, the whole page otherwise."""
    if request.htmx:
        return render(request, f"{CLASS_TEMPLATE}#{part}", _class_context(request, project, role))
    return redirect("annotations:class", slug=project.slug)


@require_GET
def class_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = _teacher_project(request, slug)
    context = _class_context(request, project, role)
    if request.htmx and request.htmx.target == "roster":
        return render(request, f"{CLASS_TEMPLATE}#roster", context)
    return render(request, CLASS_TEMPLATE, context)


@require_POST
def class_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = _teacher_project(request, slug)
    try:
        class_settings_update(
            project=project,
            join_open=request.POST.get("join_open") == "on",
            visibility=request.POST.get("visibility", project.visibility),
            allow_self_signup=request.POST.get("allow_self_signup") == "on",
            writers_may_revise=request.POST.get("writers_may_revise") == "on",
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Class settings saved.")
    return _class_answer(request, project, role, "join-box")


@require_POST
def class_code_rotate(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project, role = _teacher_project(request, slug)
    join_code_rotate(project=project)
    messages.success(request, "New join code made; the old code and link no longer work.")
    return _class_answer(request, project, role, "join-box")


@require_POST
def class_accounts(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Create student accounts in bulk; the one-time passwords appear in this answer only."""
    project, role = _teacher_project(request, slug)
    try:
        accounts = accounts_create(
            project=project, text=request.POST.get("people", ""), by=request.user
        )
    except DomainError as exc:
        context = _class_context(
            request, project, role, accounts_error=str(exc), people=request.POST.get("people", "")
        )
        return render(request, CLASS_TEMPLATE, context, status=400)
    context = _class_context(request, project, role, new_accounts=accounts)
    response = render(request, CLASS_TEMPLATE, context)
    # The passwords must not linger in a cache or the back/forward history.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def member_update(request: HtmxHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    project, role = _teacher_project(request, slug)
    membership = get_object_or_404(Membership, pk=membership_id, project=project)
    try:
        if request.POST.get("action") == "remove":
            membership_remove(membership=membership)
            messages.success(request, f"Removed {membership.user.get_username()} from the class.")
        else:
            membership_change(membership=membership, role=request.POST.get("role", ""))
            messages.success(request, f"{membership.user.get_username()} is now {membership.role}.")
    except DomainError as exc:
        messages.error(request, str(exc))
        if request.htmx:
            return plain_text(str(exc), status=400)
    return _class_answer(request, project, role, "roster")


# --------------------------------------------------------------------------- assignments


@require_GET
def assignments_page(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The teacher: every assignment with each student's status. A student: my assignments."""
    project, role = _class_project(request, slug)
    teacher = allows(role, Action.TEACH)
    context: dict = {"project": project, "role": role, "is_teacher": teacher}
    if teacher:
        assignments = _assignments(project)
        students = list(
            Membership.objects.filter(project=project, role=Role.ANNOTATOR)
            .select_related("user")
            .order_by("user__username")
        )
        progress = statuses([m.user_id for m in students], assignments)
        context["rows"] = [
            {
                "assignment": a,
                "students": [
                    {"user": m.user, "progress": progress[(a.pk, m.user_id)]}
                    for m in students
                    if a.everyone or m.user_id in a.student_ids
                ],
            }
            for a in assignments
        ]
        assigned = {a.document_id for a in assignments}
        context["unassigned"] = project.documents.exclude(pk__in=assigned)
        context["students"] = students
    else:
        mine = assignments_for(request.user, project)
        progress = statuses([request.user.pk], mine)
        now = timezone.now()
        context["mine"] = [
            {
                "assignment": a,
                "status": progress[(a.pk, request.user.pk)].status,
                "spans": progress[(a.pk, request.user.pk)].spans,
                "overdue": a.due_at is not None and a.due_at < now,
            }
            for a in mine
        ]
    if request.htmx and request.htmx.target == "assignments":
        return render(request, f"{ASSIGNMENTS_TEMPLATE}#assignments", context)
    return render(request, ASSIGNMENTS_TEMPLATE, context)


def _next(request: HtmxHttpRequest, default: str) -> str:
    """Return the form's ``next`` when it points into this site, else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _due(raw: str) -> datetime | None:
    if not raw:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        raise DomainError("Give the due date as date and time, e.g. 2026-12-01 09:00.")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@require_POST
def assignment_update(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id, slug)
    require(role, Action.TEACH)
    try:
        if request.POST.get("action") == "remove":
            assignment_remove(document=document)
            messages.success(request, f"“{document.title}” is no longer assigned.")
        else:
            everyone = request.POST.get("everyone", "on") == "on"
            ids = params.number_list(request.POST, "students")
            assignment_set(
                document=document,
                by=request.user,
                everyone=everyone,
                students=list(User.objects.filter(pk__in=ids)),
                due_at=_due(request.POST.get("due_at", "").strip()),
            )
            messages.success(request, f"Assigned “{document.title}”.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("annotations:assignments", slug=document.project.slug)


@require_POST
def submit(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id, slug)
    require(role, Action.ANNOTATE)
    assignment = get_object_or_404(Assignment, document=document)
    try:
        submission_submit(assignment=assignment, student=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Submitted “{document.title}”. Your teacher can reopen it.")
    return redirect(document.get_absolute_url())


@require_POST
def reopen(request: HtmxHttpRequest, slug: str, document_id: int, user_id: int) -> HttpResponse:
    document, role = document_for(request, document_id, slug)
    require(role, Action.TEACH)
    submission = get_object_or_404(Submission, assignment__document=document, student_id=user_id)
    submission_reopen(submission=submission)
    messages.success(request, f"Reopened for {submission.student.get_username()}.")
    return redirect(_next(request, reverse("annotations:assignments", args=[slug])))


@require_POST
def reveal(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    document, role = document_for(request, document_id, slug)
    require(role, Action.TEACH)
    revealed = request.POST.get("revealed", "1") == "1"
    document_reveal(document=document, revealed=revealed)
    if revealed:
        messages.success(
            request, "Revealed: students now see each other's spans and the reference."
        )
    else:
        messages.success(request, "Hidden again: students see only their own spans.")
    return redirect(_next(request, document.get_absolute_url()))


@require_POST
def document_seen(request: HtmxHttpRequest, slug: str, document_id: int) -> HttpResponse:
    """Note that a member has a class document open, for "last active" on the roster.

    The annotate page posts here once it has loaded, so drawing the page (a GET) writes
    nothing; membership_seen writes at most once every SEEN_EVERY_SECONDS per member.
    """
    document, _role = document_for(request, document_id, slug)
    if document.project.is_class:
        membership_seen(user=request.user, project_id=document.project_id)
    return HttpResponse(status=204)
