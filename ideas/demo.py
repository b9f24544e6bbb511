"""The demo organisation's team ideas for ``seed_demo``: one or more in every status, with
votes, reactions and history, and a done idea old enough to show its figures before and after.
Safe to run again and again; it sends no e-mails (every step counts as told)."""

import datetime as dt

from django.utils import timezone

from feedback.models import Response
from ideas.models import REACHED_AT, Idea, IdeaComment, IdeaEvent, IdeaStatus, IdeaVote
from levels.models import PlanItem
from organisations.models import Team, User
from programmes.models import Target

ORDER = [IdeaStatus.ACCEPTED, IdeaStatus.IN_PROGRESS, IdeaStatus.DONE]

# team, proposer, title, what customers said, what to change, plan item title (or a level),
# target (team slug and metric), final status, days ago for proposed and each later step,
# who moved it, decline reason, voters, reactions (author, text)
IDEAS = [
    {
        "team": "klantenservice-noord",
        "proposer": "employee",
        "title": "Een vaste terugbelronde om 16.00 uur",
        "said": "Klanten die een 0 tot 6 gaven, zeggen dat niemand terugbelt als beloofd.",
        "change": "Elke middag om 16.00 uur belt wie dienst heeft alle klanten terug die die dag "
        "een lage score gaven. We houden een lijstje bij op het teambord.",
        "plan_item": "Klanten die een 0 tot 6 gaven binnen twee werkdagen terugbellen",
        "target": ("klantenservice-noord", "nps"),
        "status": IdeaStatus.DONE,
        "days": [230, 215, 200, 150],
        "mover": "lead",
        "voters": ["noor", "daan", "lead"],
        "reactions": [
            ("noor", "Goed idee. Wie belt er als het druk is aan de telefoon?"),
            ("employee", "Dan schuift het naar de volgende ochtend, maar nooit later."),
        ],
    },
    {
        "team": "klantenservice-noord",
        "proposer": "noor",
        "title": "Veelgestelde vragen over retouren in de bevestigingsmail",
        "said": "Klanten bellen vaak met dezelfde vraag over retourneren.",
        "change": "De drie vragen die het vaakst terugkomen met hun antwoord in de "
        "bevestigingsmail zetten.",
        "plan_item": "Klantfeedback per team zichtbaar op een scherm",
        "target": None,
        "status": IdeaStatus.IN_PROGRESS,
        "days": [70, 55, 30],
        "mover": "lead",
        "voters": ["employee", "daan"],
        "reactions": [("lead", "Ik vraag de webwinkel of zij de mail kunnen aanpassen.")],
    },
    {
        "team": "klantenservice-noord",
        "proposer": "employee",
        "title": "Eén vast aanspreekpunt per klacht",
        "said": "Bij een klacht moeten klanten hun verhaal steeds opnieuw vertellen.",
        "change": "Wie een klacht aanneemt, blijft het aanspreekpunt tot de klant tevreden is.",
        "plan_item": "Gesprekken voeren die vertrouwen geven",
        "target": ("klantenservice-noord", "nps"),
        "status": IdeaStatus.ACCEPTED,
        "days": [25, 10],
        "mover": "lead",
        "voters": ["daan", "noor"],
        "reactions": [],
    },
    {
        "team": "klantenservice-noord",
        "proposer": "employee",
        "title": "Samen met klanten onze belofte opschrijven",
        "said": "Klanten vinden ons vriendelijk, maar weten niet wat ze van ons mogen verwachten.",
        "change": "Vijf klanten uitnodigen om met het team in één middag op te schrijven wat "
        "‘in één keer goed’ voor hen betekent.",
        "plan_item": "Wij zijn persoonlijk en dichtbij",
        "target": None,
        "status": IdeaStatus.PROPOSED,
        "days": [6],
        "mover": None,
        "voters": ["noor", "daan"],
        "reactions": [("daan", "Mooi, en dan hangen we het op naast het teambord.")],
        "comments": 1,
    },
    {
        "team": "klantenservice-noord",
        "proposer": "lead",
        "title": "Wachtmuziek vervangen door een terugbeloptie",
        "said": "",
        "change": "Wie langer dan twee minuten wacht, kan kiezen om teruggebeld te worden.",
        "plan_item": None,
        "level": 7,
        "target": None,
        "status": IdeaStatus.PROPOSED,
        "days": [3],
        "mover": None,
        "voters": ["employee"],
        "reactions": [],
    },
    {
        "team": "klantenservice-noord",
        "proposer": "daan",
        "title": "Een chatbot voor alle vragen",
        "said": "Klanten willen ook ’s avonds antwoord.",
        "change": "Een chatbot op de website die alle vragen beantwoordt.",
        "plan_item": "Nieuw ticketsysteem",
        "target": None,
        "status": IdeaStatus.DECLINED,
        "days": [40, 33],
        "mover": "lead",
        "reason": "Klanten zeggen juist dat ze een mens willen spreken. We kijken eerst of "
        "langere openingstijden op donderdag helpen.",
        "voters": [],
        "reactions": [("employee", "Eens met Lars: klanten vragen om persoonlijk contact.")],
    },
    {
        "team": "bezorging",
        "proposer": "employee2",
        "title": "Het bezorgtijdvak van twee uur sms’en",
        "said": "Klanten missen de bezorger omdat ze niet weten wanneer die komt.",
        "change": "De ochtend van de bezorging een sms met een tijdvak van twee uur.",
        "plan_item": "Terugbelafspraken vastleggen in het CRM",
        "target": ("bezorging", "returning_rate"),
        "status": IdeaStatus.PROPOSED,
        "days": [12],
        "mover": None,
        "voters": ["julia", "thijs"],
        "reactions": [],
    },
]


def seed_ideas(organisation) -> None:
    now = timezone.now()
    people = {person.username: person for person in User.objects.in_organisation(organisation)}
    teams = {team.slug: team for team in Team.objects.in_organisation(organisation)}
    items = {
        item.title: item
        for item in PlanItem.objects.filter(
            programme__organisation=organisation, programme__is_current=True
        )
    }
    for spec in IDEAS:
        team = teams[spec["team"]]
        plan_item = items.get(spec["plan_item"]) if spec["plan_item"] else None
        target = None
        if spec["target"]:
            slug, metric = spec["target"]
            target = (
                Target.objects.in_organisation(organisation)
                .filter(team=teams[slug], metric=metric)
                .first()
            )
        idea, _ = Idea.objects.update_or_create(
            organisation=organisation,
            team=team,
            title=spec["title"],
            defaults={
                "proposer": people[spec["proposer"]],
                "customers_said": spec["said"],
                "change": spec["change"],
                "plan_item": plan_item,
                "level": plan_item.level if plan_item else spec.get("level"),
                "target": target,
                "status": spec["status"],
                "decline_reason": spec.get("reason", ""),
            },
        )
        days = spec["days"]
        moments = {"created_at": now - dt.timedelta(days=days[0])}
        steps = ORDER if spec["status"] != IdeaStatus.DECLINED else [IdeaStatus.DECLINED]
        previous = IdeaStatus.PROPOSED
        for step, days_ago in zip(steps, days[1:], strict=False):
            moment = now - dt.timedelta(days=days_ago)
            moments[REACHED_AT[step]] = moment
            event, _ = IdeaEvent.objects.update_or_create(
                idea=idea,
                to_status=step,
                defaults={
                    "actor": people[spec["mover"]],
                    "from_status": previous,
                    "reason": spec.get("reason", "") if step == IdeaStatus.DECLINED else "",
                    "notified_at": moment,
                },
            )
            IdeaEvent.objects.filter(pk=event.pk).update(created_at=moment)
            previous = step
        Idea.objects.filter(pk=idea.pk).update(**moments)
        IdeaVote.objects.filter(idea=idea).exclude(voter__username__in=spec["voters"]).delete()
        for username in spec["voters"]:
            IdeaVote.objects.get_or_create(idea=idea, voter=people[username])
        for offset, (username, body) in enumerate(spec["reactions"]):
            reaction, _ = IdeaComment.objects.get_or_create(
                idea=idea, author=people[username], body=body
            )
            moment = now - dt.timedelta(days=days[0]) + dt.timedelta(hours=3 + 20 * offset)
            IdeaComment.objects.filter(pk=reaction.pk).update(created_at=moment)
        if spec.get("comments") and not idea.comments.exists():
            recent = (
                Response.objects.filter(team=team)
                .exclude(comment="")
                .filter(score__lte=8)
                .order_by("-submitted_at", "-pk")[: spec["comments"]]
            )
            idea.comments.set(recent)
