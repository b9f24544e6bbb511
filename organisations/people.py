"""Changing people: saving a person with their teams, a leaver's deactivation and, when they
ask, their anonymisation. Apps above learn of a leaver through ``signals.person_left``."""

from django.db import transaction
from django.utils import timezone

from organisations.models import Membership, User
from organisations.signals import person_left


def username_for(email: str) -> str:
    """People sign in with their e-mail address; it is also their (unique) username."""
    return email.strip().casefold()


def set_teams(person, teams, leads) -> None:
    """Make the person's memberships exactly ``teams``, leading ``leads`` (a subset)."""
    wanted = {team.pk for team in teams}
    leading = {team.pk for team in leads}
    Membership.objects.filter(user=person).exclude(team_id__in=wanted).delete()
    current = {m.team_id: m for m in Membership.objects.filter(user=person)}
    for team_id in wanted:
        membership = current.get(team_id)
        if membership is None:
            Membership.objects.create(user=person, team_id=team_id, is_lead=team_id in leading)
        elif membership.is_lead != (team_id in leading):
            membership.is_lead = team_id in leading
            membership.save(update_fields=["is_lead"])


def deactivate(person) -> bool:
    """A leaver: no more login, digests or invitations; what they did stays. Apps above are
    told once the change is committed. False when they had already left."""
    with transaction.atomic():
        left = User.objects.filter(pk=person.pk, is_active=True).update(
            is_active=False, left_at=timezone.now()
        )
        if not left:
            return False
        # A team without a lead shows so; the membership itself stays, as history.
        Membership.objects.filter(user=person, is_lead=True).update(is_lead=False)
        transaction.on_commit(lambda: person_left.send(sender=User, person=person))
    person.refresh_from_db()
    return True


def reactivate(person) -> None:
    User.objects.filter(pk=person.pk, anonymised_at=None).update(is_active=True, left_at=None)
    person.refresh_from_db()


def anonymise(person) -> bool:
    """A leaver who asked to be forgotten: name, address and login are gone; their ideas and
    votes stay, shown as from "a former colleague". Only people who have left."""
    if person.is_active or person.anonymised_at is not None:
        return False
    with transaction.atomic():
        person.first_name = ""
        person.last_name = ""
        person.email = ""
        person.username = f"former-{person.pk}"
        person.set_unusable_password()
        person.anonymised_at = timezone.now()
        person.save(
            update_fields=[
                "first_name",
                "last_name",
                "email",
                "username",
                "password",
                "anonymised_at",
            ]
        )
    return True
