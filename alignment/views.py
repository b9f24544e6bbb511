"""HR's value and needs alignment: values, opening a survey, answering it, and its results.

Results exist only once a survey has closed (figures that change as answers arrive would show
each new person's answers), and only for the groups ``alignment.suppression`` settles as safe.
"""

import contextlib
import csv
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from alignment import results, surveys
from alignment.forms import AnswerForm, SurveyForm, ValueForm
from alignment.models import MOTIVATORS, NEEDS, AlignmentSurvey, Participant, Value
from alignment.suppression import TEAM
from organisations import audit, roles


def _survey_or_404(user, pk):
    survey = AlignmentSurvey.objects.visible_to(user).filter(pk=pk).select_related("organisation")
    survey = survey.first()
    if survey is None:
        raise Http404
    return survey


def _invitation_of(user, survey):
    """The person's invitation to answer ``survey``, or None."""
    if roles.organisation_of(user) is None:
        return None
    return Participant.objects.filter(survey=survey, person=user).first()


# --- Overview and values ------------------------------------------------------------------


@require_safe
@login_required
@roles.member_required
def home(request):
    user = request.user
    surveys = list(AlignmentSurvey.objects.visible_to(user))
    invitations = {
        p.survey_id: p
        for p in Participant.objects.filter(person=user, survey__in=[s.pk for s in surveys])
    }
    now = timezone.now()
    rows = [
        {
            "survey": survey,
            "is_open": survey.is_open(now),
            "is_closed": survey.is_closed(now),
            "invitation": invitations.get(survey.pk),
        }
        for survey in surveys
    ]
    return render(
        request,
        "alignment/home.html",
        {
            "rows": rows,
            "to_answer": [
                row
                for row in rows
                if row["is_open"] and row["invitation"] and not row["invitation"].has_answered
            ],
            "values": Value.objects.visible_to(user),
            "can_manage_values": roles.can_manage_values(user),
            "can_run": roles.can_run_alignment(user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_values)
def values(request):
    organisation = request.user.organisation
    form = ValueForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        value = form.save()
        messages.success(request, _("Value “%(name)s” is added.") % {"name": value.name})
        return redirect("alignment:values")
    return render(
        request,
        "alignment/values.html",
        {"values": Value.objects.managed_by(request.user), "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_manage_values)
def value_edit(request, pk):
    value = get_object_or_404(Value.objects.managed_by(request.user), pk=pk)
    form = ValueForm(request.POST or None, instance=value, organisation=value.organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Value “%(name)s” is saved.") % {"name": value.name})
        return redirect("alignment:values")
    return render(
        request,
        "alignment/value_form.html",
        {"value": value, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_manage_values)
def value_delete(request, pk):
    value = get_object_or_404(Value.objects.managed_by(request.user), pk=pk)
    value.delete()
    messages.success(request, _("Value “%(name)s” is deleted.") % {"name": value.name})
    return redirect("alignment:values")


# --- Running a survey ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@roles.allowed_if(roles.can_run_alignment)
def survey_create(request):
    organisation = request.user.organisation
    today = timezone.localdate()
    form = SurveyForm(
        request.POST or None,
        organisation=organisation,
        teams=roles.teams_visible_to(request.user),
        initial={"opens_on": today, "closes_on": today + datetime.timedelta(days=14)},
    )
    if request.method == "POST" and form.is_valid():
        survey = surveys.open_survey(organisation=organisation, **form.cleaned_data)
        audit.record(organisation, request.user, "survey.opened", survey.title)
        messages.success(request, _("Survey “%(title)s” is open.") % {"title": survey.title})
        return redirect("alignment:survey", survey.pk)
    return render(
        request,
        "alignment/survey_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
@roles.allowed_if(roles.can_run_alignment)
def survey_close(request, pk):
    survey = _survey_or_404(request.user, pk)
    if survey.closed_at is None:
        survey.closed_at = timezone.now()
        survey.save(update_fields=["closed_at"])
        audit.record(survey.organisation, request.user, "survey.closed", survey.title)
    messages.success(request, _("The survey is closed; its results are ready."))
    return redirect("alignment:survey", survey.pk)


@require_safe
@login_required
@roles.member_required
def survey_detail(request, pk):
    user = request.user
    survey = _survey_or_404(user, pk)
    context = {
        "survey": survey,
        "is_closed": survey.is_closed(),
        "can_run": roles.can_run_alignment(user),
        "invitation": _invitation_of(user, survey),
    }
    if roles.can_see_all_alignment_results(user):
        invited = Participant.objects.filter(survey=survey)
        context["invited"] = invited.count()
        context["answered"] = invited.filter(has_answered=True).count()
    if context["is_closed"]:
        context.update(_results_context(request, survey))
    return render(request, "alignment/survey.html", context)


def _results_context(request, survey) -> dict:
    user = request.user
    result = results.results(survey)
    visible = results.groups_visible_to(user, result)
    sees_all = roles.can_see_all_alignment_results(user)
    # Management and HR see every group, the hidden ones with the reason; others what they may.
    groups = result.groups() if sees_all else [g for g in result.groups() if g.key in visible]
    rows = [_row(result, group) for group in groups]
    with_comments = results.groups_visible_to(user, result, comments=True)
    comment_groups = [g for g in result.groups() if g.key in with_comments]
    chosen = request.GET.get("group") or (comment_groups[0].key if comment_groups else "")
    chosen_group = next((g for g in comment_groups if g.key == chosen), None)
    own_hidden = []
    if not sees_all:
        own = set(roles.own_teams(user).values_list("pk", flat=True))
        own_hidden = [g for g in result.groups() if g.kind == TEAM and g.team_ids & own]
        own_hidden = [
            {"label": g.label, "too_few": g.size < result.minimum}
            for g in own_hidden
            if g.key not in result.shown
        ]
    return {
        "result": result,
        "values": result.values,
        "needs": NEEDS,
        "motivators": MOTIVATORS,
        "rows": rows,
        "shown_rows": [row for row in rows if row["shown"]],
        "comment_groups": comment_groups,
        "chosen_group": chosen_group,
        "comments": results.comments(result, chosen_group.key) if chosen_group else [],
        "own_hidden": own_hidden,
        "previous": result.previous.survey if result.previous else None,
        "can_export": sees_all,
    }


def _number(x) -> str:
    return number_format(round(x, 1), 1)


def _signed(x) -> str:
    x = round(x, 1)
    if x == 0:
        return number_format(0, 1)
    return ("+" if x > 0 else "−") + number_format(abs(x), 1)


def _row(result, group) -> dict:
    """One group's line in every table: its cells, or why it is hidden."""
    figures = result.figures.get(group.key)
    row = {"group": group, "shown": figures is not None}
    if figures is None:
        row["reason"] = (
            _("fewer than %(n)s answers") % {"n": result.minimum}
            if group.size < result.minimum
            else _("hidden so that a smaller group cannot be worked out")
        )
        return row
    change = result.change(group.key)
    row["respondents"] = figures.respondents
    row["values"] = []
    for value in result.values:
        figure = figures.values[value.pk]
        before = change.values.get(value.pk) if change else None
        row["values"].append(
            {
                "gap": _signed(figure.gap),
                "importance": _number(figure.importance),
                "lived": _number(figure.lived),
                "css": results.gap_class(figure.gap),
                "change": _signed(before.gap) if before else None,
            }
        )
    row["needs"] = _score_cells(figures, change, NEEDS)
    row["motivators"] = _score_cells(figures, change, MOTIVATORS)
    return row


def _score_cells(figures, change, keys) -> list:
    return [
        {
            "mean": _number(figures.scores[key]),
            "css": results.score_class(figures.scores[key]),
            "change": _signed(change.scores[key]) if change else None,
        }
        for key, _label in keys
    ]


# --- Answering ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
@roles.member_required
def answer(request, pk):
    user = request.user
    survey = _survey_or_404(user, pk)
    invitation = _invitation_of(user, survey)
    if invitation is None:
        return render(request, "alignment/answer.html", {"survey": survey}, status=403)
    context = {"survey": survey, "invitation": invitation}
    if invitation.has_answered or not survey.is_open():
        return render(request, "alignment/answer.html", context)
    teams = surveys.answering_teams(user, survey)
    form = AnswerForm(request.POST or None, values=survey.values.all(), teams=teams)
    if request.method == "POST" and form.is_valid():
        # A second click finds the answers stored by the first: that one counted.
        try:
            with contextlib.suppress(surveys.AlreadyAnswered):
                surveys.store_answers(
                    participant=invitation,
                    team=form.cleaned_data.get("team"),
                    value_scores=form.value_scores(),
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                )
        except surveys.SurveyClosed:
            # It closed while the form was being filled in: the answers are not stored.
            return render(request, "alignment/answer.html", context, status=409)
        messages.success(request, _("Thank you. Your answers are stored without your name."))
        return redirect("alignment:home")
    context["form"] = form
    return render(request, "alignment/answer.html", context, status=400 if form.errors else 200)


# --- Export ---------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text):
    """Spreadsheets run text that starts like a formula; a leading apostrophe stops that."""
    if isinstance(text, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


@require_safe
@login_required
@roles.allowed_if(roles.can_see_all_alignment_results)
def export(request, pk):
    """The same settled figures as the page, as CSV: nothing the page does not show."""
    survey = _survey_or_404(request.user, pk)
    if not survey.is_closed():
        messages.warning(request, _("Results are ready when the survey closes."))
        return redirect("alignment:survey", survey.pk)
    result = results.results(survey, with_previous=False)
    visible = results.groups_visible_to(request.user, result)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alignment-{survey.pk}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read UTF-8
    writer = csv.writer(response)
    header = [_("Group"), _("Answers")]
    for value in result.values:
        header += [
            _("%(value)s: important") % {"value": value.name},
            _("%(value)s: lived") % {"value": value.name},
            _("%(value)s: gap") % {"value": value.name},
        ]
    header += [str(label) for _key, label in NEEDS + MOTIVATORS]
    writer.writerow([_cell(text) for text in header])
    for group in result.groups():
        if group.key not in visible:
            continue
        figures = result.figures[group.key]
        line = [group.label, figures.respondents]
        for value in result.values:
            figure = figures.values[value.pk]
            line += [round(figure.importance, 2), round(figure.lived, 2), round(figure.gap, 2)]
        line += [round(figures.scores[key], 2) for key, _label in NEEDS + MOTIVATORS]
        writer.writerow([_cell(text) for text in line])
    return response
