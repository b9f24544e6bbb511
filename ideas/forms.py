"""Forms of the ideas: proposing one, reacting to one, moving one on."""

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from feedback import privacy
from feedback.models import Response
from ideas import rules
from ideas.models import Idea, IdeaComment, IdeaStatus
from levels.models import Level, PlanItem
from organisations import roles
from programmes.models import Target

LINKABLE_COMMENTS = 20  # the team's latest comments offered to link, besides those asked for


class CommentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        text = " ".join(privacy.spoken(obj.comment).split())
        text = text if len(text) <= 120 else text[:119] + "…"
        day = formats.date_format(timezone.localtime(obj.submitted_at), "j F Y")
        if obj.score is None:
            return f"{day} · {text}"
        return f"{_('Score')} {obj.score} · {day} · {text}"


class IdeaForm(forms.ModelForm):
    comments = CommentChoiceField(
        label=_("Customer comments that led to it"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Your team’s latest comments; only comments you may read."),
    )

    class Meta:
        model = Idea
        fields = ["team", "title", "customers_said", "comments", "change", "target", "plan_item"]
        fields += ["level"]
        widgets = {
            "customers_said": forms.Textarea(attrs={"rows": 3}),
            "change": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, team=None, asked_comments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        teams = roles.idea_teams_for(user).order_by("name")
        self.fields["team"].queryset = teams
        self.fields["team"].empty_label = None if teams.count() == 1 else "—"
        chosen = self._chosen_team(teams, team)
        if chosen is not None:
            self.fields["team"].initial = chosen.pk
        self.fields["comments"].queryset = self._linkable(chosen, asked_comments)
        targets = Target.objects.visible_to(user).select_related("team")
        if chosen is not None:
            targets = targets.filter(team=chosen) | targets.filter(team__isnull=True)
        self.fields["target"].queryset = targets.order_by("team__name", "due_on", "pk")
        self.fields["target"].label_from_instance = self._target_label
        items = PlanItem.objects.visible_to(user).filter(programme__is_current=True)
        self.fields["plan_item"].queryset = items.exclude(status="dropped")
        self.fields["plan_item"].label_from_instance = lambda item: (
            f"{item.level} · {Level(item.level).label} · {item.title}"
        )
        self.fields["level"].help_text = _(
            "Which of the seven levels it changes; taken from the plan item when one is chosen."
        )

    @staticmethod
    def _target_label(target):
        scope = target.team.name if target.team_id else _("whole organisation")
        what = f" · {target.what_for}" if target.what_for else ""
        return f"{target.get_metric_display()} · {scope}{what}"

    def _chosen_team(self, teams, team):
        if self.is_bound:
            pk = self.data.get("team")
            return teams.filter(pk=pk).first() if str(pk or "").isdigit() else None
        if self.instance.pk:
            return self.instance.team
        if team is not None:
            return team
        return teams.first() if teams.count() == 1 else None

    def _linkable(self, team, asked):
        if team is None:
            return Response.objects.comments_visible_to(self.user).none()
        linkable = rules.comments_linkable_by(self.user, team)
        recent = list(
            linkable.order_by("-submitted_at", "-pk").values_list("pk", flat=True)[
                :LINKABLE_COMMENTS
            ]
        )
        wanted = set(recent) | {pk for pk in asked if pk}
        if self.instance.pk:
            wanted |= set(self.instance.comments.values_list("pk", flat=True))
        if self.is_bound:
            wanted |= {int(pk) for pk in self.data.getlist("comments") if str(pk).isdigit()}
        return linkable.filter(pk__in=wanted).order_by("-submitted_at", "-pk")

    def clean(self):
        cleaned = super().clean()
        team, target = cleaned.get("team"), cleaned.get("target")
        if team and target and target.team_id not in (None, team.pk):
            self.add_error("target", _("This target belongs to another team."))
        plan_item = cleaned.get("plan_item")
        if plan_item is not None:
            cleaned["level"] = plan_item.level
        return cleaned

    def save(self, commit=True):
        idea = super().save(commit=False)
        idea.organisation = self.user.organisation
        if idea.proposer_id is None:
            idea.proposer = self.user
        if commit:
            idea.save()
            self.save_m2m()
        return idea


class IdeaCommentForm(forms.ModelForm):
    class Meta:
        model = IdeaComment
        fields = ["body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"body": {"required": _("Write something first.")}}


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(choices=IdeaStatus.choices)
    reason = forms.CharField(
        label=_("Why it is declined"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Everybody can read it, the proposer first."),
    )

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (value, label) for value, label in IdeaStatus.choices if value in allowed
        ]

    def clean(self):
        cleaned = super().clean()
        declined = cleaned.get("to_status") == IdeaStatus.DECLINED
        if declined and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason", _("Say why it is declined: the proposer and the team read it.")
            )
        return cleaned


class IdeaFilter(forms.Form):
    """The list's filters; unknown values are ignored rather than answered with an error."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *IdeaStatus.choices]
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=None,
        empty_label=_("All teams"),
        to_field_name="slug",
    )
    target = forms.ModelChoiceField(
        label=_("Target"), required=False, queryset=None, empty_label=_("All targets")
    )
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All levels")), *Level.choices],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = roles.teams_visible_to(user).order_by("name")
        targets = Target.objects.visible_to(user).select_related("team")
        self.fields["target"].queryset = targets.order_by("team__name", "due_on", "pk")
        self.fields["target"].label_from_instance = IdeaForm._target_label

    def filtered(self, ideas):
        if not self.is_valid():
            # Keep what is valid: a bad value in one filter does not drop the others.
            data = {
                name: value for name, value in self.cleaned_data.items() if name not in self.errors
            }
        else:
            data = self.cleaned_data
        if data.get("status"):
            ideas = ideas.filter(status=data["status"])
        if data.get("team"):
            ideas = ideas.filter(team=data["team"])
        if data.get("target"):
            ideas = ideas.filter(target=data["target"])
        if data.get("level"):
            ideas = ideas.filter(level=data["level"])
        return ideas
