"""Pages where management and HR keep the organisation's people, teams and departments, import
people from a file, and welcome them; and the page where a welcomed person chooses a password."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from organisations import audit, roles, tasks, welcome
from organisations import people as people_service
from organisations.enqueue import send
from organisations.forms import (
    DepartmentForm,
    PeopleImportForm,
    PersonForm,
    SetPasswordForm,
    TeamForm,
)
from organisations.models import Department, Membership, PeopleImport, Team, User
from organisations.people_import import apply_import, plan, read_people

# The person chose a password: they are logged in as by a password login.
PASSWORD_BACKEND = "organisations.sso.PasswordBackend"  # noqa: S105 - a path, not a password


def _welcome(people) -> int:
    ids = welcome.request_welcome(people)
    if ids:
        transaction.on_commit(lambda: send(tasks.send_welcome_emails, ids))
    return len(ids)


@require_safe
@login_required
@roles.allowed_if(roles.can_manage_people)
def people(request):
    """Everybody in the organisation: who has joined, who has not, who has left."""
    show = request.GET.get("show", "")
    everybody = (
        roles.people_managed_by(request.user)
        .with_lead_flag()
        .prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("team"))
        )
        .order_by("first_name", "last_name", "username")
    )
    if show == "not_joined":
        listed = everybody.not_joined()
    elif show == "left":
        listed = everybody.filter(is_active=False)
    else:
        listed = everybody.filter(is_active=True)
    return render(
        request,
        "organisations/people.html",
        {
            "people": listed,
            "show": show,
            "not_joined_count": roles.people_managed_by(request.user).not_joined().count(),
            "can_manage_teams": roles.can_manage_teams(request.user),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_people)
def person_create(request):
    form = PersonForm(request.POST or None, editor=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            person = form.save()
            audit.record(
                person.organisation,
                request.user,
                "person.added",
                str(person),
                changes=audit.form_changes(form),
            )
            if request.POST.get("welcome") == "1":
                _welcome([person])
        messages.success(request, _("%(name)s is added.") % {"name": person})
        return redirect("organisations:people")
    return render(
        request,
        "organisations/person_form.html",
        {"form": form, "person": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_people)
def person_edit(request, pk):
    person = roles.get_editable_person_or_404(request.user, pk)
    form = PersonForm(request.POST or None, instance=person, editor=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            changes = audit.form_changes(form)
            if changes:
                action = "role.changed" if "role" in changes else "person.changed"
                audit.record(
                    person.organisation, request.user, action, str(person), changes=changes
                )
        messages.success(request, _("The changes to %(name)s are saved.") % {"name": person})
        return redirect("organisations:people")
    return render(
        request,
        "organisations/person_form.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_people)
def person_leave(request, pk):
    person = roles.get_editable_person_or_404(request.user, pk)
    if person.pk == request.user.pk:
        messages.error(request, _("You cannot mark yourself as having left."))
    elif people_service.deactivate(person):
        audit.record(person.organisation, request.user, "person.left", str(person))
        messages.success(
            request,
            _("%(name)s has left: no more login, digests or invitations; what they did stays.")
            % {"name": person},
        )
    return redirect("organisations:people")


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_people)
def person_forget(request, pk):
    person = roles.get_editable_person_or_404(request.user, pk)
    if person.is_active:
        messages.error(request, _("Only people who have left can be forgotten."))
        return redirect("organisations:person_edit", pk=person.pk)
    people_service.anonymise(person)
    # Named by number only: their name is what was asked to go.
    audit.record(person.organisation, request.user, "person.forgotten", f"#{person.pk}")
    messages.success(
        request, _("Their name and address are gone; their ideas and votes stay, anonymous.")
    )
    return redirect(reverse_people("left"))


def reverse_people(show: str) -> str:
    return reverse("organisations:people") + f"?show={show}"


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_people)
def person_welcome(request, pk):
    person = roles.get_editable_person_or_404(request.user, pk)
    if _welcome([person]):
        messages.success(
            request, _("A welcome e-mail is on its way to %(name)s.") % {"name": person}
        )
    else:
        messages.error(request, _("%(name)s has no e-mail address or has left.") % {"name": person})
    return redirect("organisations:people")


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_people)
def welcome_not_joined(request):
    """A welcome e-mail (again) to everybody who has not joined yet."""
    waiting = [
        person
        for person in roles.people_managed_by(request.user).not_joined()
        if roles.can_edit_person(request.user, person)
    ]
    count = _welcome(waiting)
    messages.success(
        request,
        ngettext(
            "A welcome e-mail is on its way to %(count)s person.",
            "Welcome e-mails are on their way to %(count)s people.",
            count,
        )
        % {"count": count},
    )
    return redirect(reverse_people("not_joined"))


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_people)
def people_import(request):
    """Upload a file: every row is checked, and nothing is changed until the preview of what
    it changes is confirmed."""
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        organisation = request.user.organisation
        reading = read_people(organisation, data, upload.name, editor=request.user)
        if not reading.problem_count:
            preview = PeopleImport.objects.create(
                organisation=organisation,
                filename=upload.name[:255],
                content=data,
                rows_total=len(reading.rows),
                changes=[change.as_dict() for change in plan(organisation, reading.rows)],
                welcome_new_people=request.POST.get("welcome") == "1",
                created_by=request.user,
            )
            return redirect("organisations:people_import_detail", pk=preview.pk)
        problems = reading
    return render(
        request,
        "organisations/people_import.html",
        {"form": form, "reading": problems},
        status=400 if form.errors or problems else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_people)
def people_import_detail(request, pk):
    preview = get_object_or_404(
        PeopleImport.objects.in_organisation(roles.organisation_of(request.user)), pk=pk
    )
    if request.method == "POST" and preview.applied_at is None:
        applied, reading, changes = apply_import(preview, editor=request.user)
        if applied:
            audit.record(
                preview.organisation,
                request.user,
                "people.imported",
                preview.filename,
                counts={"changes": len(changes), "new people": len(preview.new_people)},
            )
            if preview.welcome_new_people:
                new_people = User.objects.filter(pk__in=preview.new_people)
                with transaction.atomic():
                    _welcome(new_people)
            messages.success(
                request,
                ngettext(
                    "The file is imported: %(count)s change.",
                    "The file is imported: %(count)s changes.",
                    len(changes),
                )
                % {"count": len(changes)},
            )
            return redirect("organisations:people")
        if reading.problem_count:
            messages.error(
                request,
                _("The file can no longer be imported as it is; upload it again to see why."),
            )
            return redirect("organisations:people_import")
        if changes:
            # People changed since the preview: show what the file would change now.
            preview.changes = [change.as_dict() for change in changes]
            preview.save(update_fields=["changes"])
            messages.warning(
                request,
                _("People changed since this preview; look again at what the file changes now."),
            )
        return redirect("organisations:people_import_detail", pk=preview.pk)
    unchanged = preview.rows_total - len({change["email"] for change in preview.changes})
    return render(
        request,
        "organisations/people_import_detail.html",
        {
            "preview": preview,
            "changes": preview.changes,
            "new_count": sum(1 for change in preview.changes if change["field"] == "new"),
            "unchanged": unchanged,
        },
    )


@require_safe
@login_required
@roles.allowed_if(roles.can_manage_teams)
def teams(request):
    organisation = roles.organisation_of(request.user)
    return render(
        request,
        "organisations/teams.html",
        {
            "teams": Team.objects.in_organisation(organisation)
            .select_related("department")
            .with_member_count()
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.filter(is_lead=True).select_related("user"),
                    to_attr="leads",
                )
            ),
            "departments": Department.objects.filter(organisation=organisation),
        },
    )


ADD_TITLES = {"team": gettext_lazy("Add a team"), "department": gettext_lazy("Add a department")}


def _edit(request, form, kind):
    """Save a team or department form (``kind``); the audit log records what changed."""
    if request.method == "POST" and form.is_valid():
        adding = form.instance._state.adding
        with transaction.atomic():
            saved = form.save()
            changes = audit.form_changes(form)
            if adding or changes:
                action = f"{kind}.added" if adding else f"{kind}.changed"
                audit.record(saved.organisation, request.user, action, str(saved), changes=changes)
        messages.success(request, _("“%(name)s” is saved.") % {"name": saved})
        return redirect("organisations:teams")
    return render(
        request,
        "organisations/unit_form.html",
        {"form": form, "add_title": ADD_TITLES[kind]},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_teams)
def team_create(request):
    form = TeamForm(request.POST or None, organisation=request.user.organisation)
    return _edit(request, form, "team")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_teams)
def team_edit(request, pk):
    team = get_object_or_404(Team.objects.in_organisation(request.user.organisation), pk=pk)
    form = TeamForm(request.POST or None, instance=team, organisation=request.user.organisation)
    return _edit(request, form, "team")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_teams)
def department_create(request):
    form = DepartmentForm(request.POST or None, organisation=request.user.organisation)
    return _edit(request, form, "department")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_teams)
def department_edit(request, pk):
    department = get_object_or_404(
        Department.objects.filter(organisation=request.user.organisation), pk=pk
    )
    form = DepartmentForm(
        request.POST or None, instance=department, organisation=request.user.organisation
    )
    return _edit(request, form, "department")


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def welcome_page(request, uidb64, token):
    """The link in a welcome e-mail: choose a password, and be logged in."""
    try:
        person = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        person = None
    if person is None or not welcome.tokens.check_token(person, token):
        return render(request, "organisations/welcome_invalid.html", status=400)
    form = SetPasswordForm(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        login(request, person, backend=PASSWORD_BACKEND)
        messages.success(request, _("Welcome! Your password is set."))
        return redirect("home")
    return render(
        request,
        "organisations/welcome.html",
        {"form": form, "person": person},
        status=400 if form.errors else 200,
    )
