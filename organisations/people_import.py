"""Importing people from CSV or XLSX (name, email, team, role, language; optional lead):
every row checked first, then a preview of exactly what the file changes (new people, and for
people already here, matched by e-mail, each field that changes), then all or nothing.

People who are not in the file stay as they are: a file of one department updates only it.
"""

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from organisations.models import Membership, Organisation, Role, Team, User
from organisations.people import username_for
from organisations.spreadsheets import EXTRA, FileProblem, read_table

REQUIRED = ["name", "email", "team", "role", "language"]
OPTIONAL = ["lead"]
MAX_PROBLEMS_KEPT = 200

ROLE_WORDS = {
    "management": Role.MANAGEMENT,
    "manager": Role.MANAGEMENT,
    "directie": Role.MANAGEMENT,
    "hr": Role.HR,
    "employee": Role.EMPLOYEE,
    "medewerker": Role.EMPLOYEE,
    "": Role.EMPLOYEE,
}
LANGUAGE_WORDS = {
    "": "",
    "en": "en",
    "english": "en",
    "engels": "en",
    "nl": "nl",
    "dutch": "nl",
    "nederlands": "nl",
}
YES = {"yes", "y", "ja", "j", "x", "1", "true"}
NO = {"", "no", "n", "nee", "0", "false"}


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class PersonRow:
    row: int
    email: str
    first_name: str
    last_name: str
    teams: tuple[int, ...]  # team ids, sorted
    leads: tuple[int, ...]
    role: str
    language: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Reading:
    rows: list[PersonRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    def problem(self, row, column, message):
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(Problem(row, column, message))


def _cell(row, column) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def read_people(organisation: Organisation, data: bytes, filename: str, *, editor) -> Reading:
    """Read and check every row; ``rows`` are usable only when ``problem_count`` is 0."""
    reading = Reading()
    teams = {}
    for team in Team.objects.in_organisation(organisation).only("pk", "slug", "name"):
        teams[team.slug.casefold()] = team.pk
        teams.setdefault(team.name.casefold(), team.pk)
    managers = set()
    for username, address in (
        User.objects.in_organisation(organisation)
        .filter(role=Role.MANAGEMENT)
        .annotate(address=Lower("email"))
        .values_list("username", "address")
    ):
        managers |= {username, address}
    try:
        header, rows = read_table(data, filename)
        for column in REQUIRED:
            if column not in header:
                reading.problem(1, column, _("This column is required but missing."))
        for column in header:
            if column not in REQUIRED and column not in OPTIONAL:
                reading.problem(
                    1,
                    column,
                    _("Unknown column. Expected: %(columns)s.")
                    % {"columns": ", ".join(REQUIRED + OPTIONAL)},
                )
        if reading.problem_count:
            return reading
        seen = {}
        parsed = []
        for number, row in rows:
            if EXTRA in row:
                reading.problem(number, "", _("More values than there are columns."))
            person = _check_row(reading, number, row, teams, seen)
            if person is not None:
                parsed.append(person)
    except FileProblem as exc:
        reading.problem(0, "", str(exc))
        return reading
    if not parsed and not reading.problem_count:
        reading.problem(0, "", _("The file has no rows below its header."))
    elsewhere = set()
    for username, address in by_address(
        User.objects.exclude(organisation=organisation), parsed
    ).values_list("username", "address"):
        elsewhere |= {username, address}
    for person in parsed:
        username = username_for(person.email)
        if username in elsewhere:
            reading.problem(
                person.row, "email", _("This address belongs to a person of another organisation.")
            )
        elif editor.role != Role.MANAGEMENT and (
            person.role == Role.MANAGEMENT or username in managers
        ):
            reading.problem(
                person.row, "role", _("Only management gives, takes or changes a management role.")
            )
    reading.rows = parsed
    return reading


def by_address(people, rows):
    """The people among ``people`` whose address (or username) is one of the rows' e-mail
    addresses, compared without case; annotated with ``address``, the lower-cased e-mail."""
    keys = [username_for(row.email) for row in rows]
    return people.annotate(address=Lower("email")).filter(
        Q(address__in=keys) | Q(username__in=keys)
    )


def _existing(organisation, rows) -> dict:
    """The organisation's people the rows are about, by lower-cased address. E-mail addresses
    are usernames across the installation, so one of another organisation is never matched."""
    found = {}
    for person in by_address(User.objects.in_organisation(organisation), rows):
        found.setdefault(person.address, person)
        found.setdefault(person.username, person)
    return found


def _check_row(reading, number, row, teams, seen) -> PersonRow | None:
    before = reading.problem_count
    name = _cell(row, "name")
    if not name:
        reading.problem(number, "name", _("A name is required."))
    email = _cell(row, "email")
    try:
        validate_email(email)
    except ValidationError:
        reading.problem(
            number, "email", _("“%(value)s” is not an e-mail address.") % {"value": email}
        )
    else:
        key = username_for(email)
        if key in seen:
            reading.problem(
                number,
                "email",
                _("This address is also on row %(row)s.") % {"row": seen[key]},
            )
        else:
            seen[key] = number
    role_word = _cell(row, "role").casefold()
    role = ROLE_WORDS.get(role_word)
    if role is None:
        reading.problem(
            number,
            "role",
            _("Unknown role “%(value)s”. Use management, hr or employee.")
            % {"value": _cell(row, "role")},
        )
    language = LANGUAGE_WORDS.get(_cell(row, "language").casefold())
    if language is None:
        reading.problem(
            number,
            "language",
            _("Unknown language “%(value)s”. Use en or nl, or leave it empty.")
            % {"value": _cell(row, "language")},
        )
    team_ids = []
    for word in _split(_cell(row, "team")):
        team_id = teams.get(word.casefold())
        if team_id is None:
            reading.problem(number, "team", _("Unknown team “%(value)s”.") % {"value": word})
        else:
            team_ids.append(team_id)
    if role == Role.EMPLOYEE and not _cell(row, "team"):
        reading.problem(number, "team", _("An employee needs at least one team."))
    lead_ids = []
    lead_cell = _cell(row, "lead")
    if lead_cell.casefold() in YES:
        lead_ids = list(team_ids)
    elif lead_cell.casefold() not in NO:
        for word in _split(lead_cell):
            team_id = teams.get(word.casefold())
            if team_id is None:
                reading.problem(number, "lead", _("Unknown team “%(value)s”.") % {"value": word})
            elif team_id not in team_ids:
                reading.problem(
                    number,
                    "lead",
                    _("A lead must be in the team they lead: “%(value)s” is not in column team.")
                    % {"value": word},
                )
            else:
                lead_ids.append(team_id)
    if reading.problem_count > before:
        return None
    first, _space, last = name.partition(" ")
    return PersonRow(
        row=number,
        email=email,
        first_name=first[:150],
        last_name=last.strip()[:150],
        teams=tuple(sorted(set(team_ids))),
        leads=tuple(sorted(set(lead_ids))),
        role=role,
        language=language,
    )


@dataclass(frozen=True)
class Change:
    """What one row changes: a new person, or one field of a person already here."""

    row: int
    email: str
    name: str
    field: str  # "new", "name", "role", "language", "teams", "leads", "returns"
    before: str
    after: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _team_names(team_ids, names) -> str:
    return ", ".join(sorted(names[pk] for pk in team_ids))


def plan(organisation, rows: list[PersonRow]) -> list[Change]:
    """Exactly what applying ``rows`` changes, field by field, in the order of the file."""
    names = dict(Team.objects.in_organisation(organisation).values_list("pk", "name"))
    existing = _existing(organisation, rows)
    teams_of, leads_of = _memberships(organisation, {p.pk for p in existing.values()})
    roles = dict(Role.choices)
    languages = {"": _("default"), "en": "en", "nl": "nl"}
    changes = []
    for row in rows:
        person = existing.get(username_for(row.email))
        if person is None:
            changes.append(
                Change(row.row, row.email, row.name, "new", "", _team_names(row.teams, names))
            )
            continue

        def changed(field, before, after, row=row):
            changes.append(Change(row.row, row.email, row.name, field, str(before), str(after)))

        if not person.is_active:
            changed("returns", _("left"), _("active"))
        old_name = f"{person.first_name} {person.last_name}".strip()
        if old_name != row.name or person.email != row.email:
            changed("name", f"{old_name} <{person.email}>", f"{row.name} <{row.email}>")
        if person.role != row.role:
            changed("role", roles[person.role], roles[row.role])
        if person.language != row.language:
            changed("language", languages[person.language], languages[row.language])
        teams = teams_of.get(person.pk, ())
        if teams != row.teams:
            changed("teams", _team_names(teams, names), _team_names(row.teams, names))
        leads = leads_of.get(person.pk, ())
        if leads != row.leads:
            changed("leads", _team_names(leads, names), _team_names(row.leads, names))
    return changes


def _memberships(organisation, person_ids):
    teams_of, leads_of = {}, {}
    memberships = Membership.objects.filter(
        user_id__in=person_ids, team__organisation=organisation
    ).values_list("user_id", "team_id", "is_lead")
    for user_id, team_id, is_lead in memberships:
        teams_of.setdefault(user_id, []).append(team_id)
        if is_lead:
            leads_of.setdefault(user_id, []).append(team_id)
    as_tuples = {pk: tuple(sorted(ids)) for pk, ids in teams_of.items()}
    return as_tuples, {pk: tuple(sorted(ids)) for pk, ids in leads_of.items()}


@dataclass
class Applied:
    created: list[int] = field(default_factory=list)
    updated: int = 0


def apply(organisation, rows: list[PersonRow]) -> Applied:
    """Write ``rows``: new people and changed fields, all in one transaction. Call inside a
    transaction that has locked the organisation (see ``apply_import``)."""
    outcome = Applied()
    existing = _existing(organisation, rows)
    unusable = make_password(None)
    new_people = []
    changed = []
    for row in rows:
        person = existing.get(username_for(row.email))
        if person is None:
            new_people.append(
                User(
                    username=username_for(row.email),
                    email=row.email,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    organisation=organisation,
                    role=row.role,
                    language=row.language,
                    password=unusable,
                )
            )
            continue
        wanted = {
            "email": row.email,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "role": row.role,
            "language": row.language,
            "is_active": True,
            "left_at": None,
        }
        if any(getattr(person, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(person, name, value)
            changed.append(person)
    User.objects.bulk_create(new_people, batch_size=1000)
    User.objects.bulk_update(changed, list(wanted_fields()), batch_size=1000)
    outcome.created = [person.pk for person in new_people]
    outcome.updated = len(changed)
    people = {key: person.pk for key, person in existing.items()}
    people |= {person.username: person.pk for person in new_people}
    _apply_memberships(organisation, rows, people)
    return outcome


def wanted_fields():
    return ("email", "first_name", "last_name", "role", "language", "is_active", "left_at")


def _apply_memberships(organisation, rows, people) -> None:
    person_ids = [people[username_for(row.email)] for row in rows]
    memberships = {
        (user_id, team_id): (pk, is_lead)
        for pk, user_id, team_id, is_lead in Membership.objects.filter(
            user_id__in=person_ids, team__organisation=organisation
        ).values_list("pk", "user_id", "team_id", "is_lead")
    }
    wanted = {}
    for row in rows:
        pk = people[username_for(row.email)]
        for team_id in row.teams:
            wanted[(pk, team_id)] = team_id in row.leads
    remove = [pk for pair, (pk, _lead) in memberships.items() if pair not in wanted]
    lead_on, lead_off, add = [], [], []
    for (user_id, team_id), is_lead in wanted.items():
        current = memberships.get((user_id, team_id))
        if current is None:
            add.append(Membership(user_id=user_id, team_id=team_id, is_lead=is_lead))
        elif current[1] != is_lead:
            (lead_on if is_lead else lead_off).append(current[0])
    Membership.objects.filter(pk__in=remove).delete()
    Membership.objects.filter(pk__in=lead_on).update(is_lead=True)
    Membership.objects.filter(pk__in=lead_off).update(is_lead=False)
    Membership.objects.bulk_create(add, batch_size=5000)


def apply_import(people_import, *, editor) -> tuple[bool, Reading, list[Change]]:
    """Apply a previewed import, if the people it changes are still as they were when it was
    previewed; otherwise nothing is written and the fresh plan is returned for a new look.
    Applying twice (a double click) applies once."""
    organisation = people_import.organisation
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        claimed = type(people_import).objects.filter(pk=people_import.pk, applied_at=None)
        if not claimed.exists():
            return False, Reading(), []
        reading = read_people(
            organisation, bytes(people_import.content), people_import.filename, editor=editor
        )
        if reading.problem_count:
            return False, reading, []
        changes = plan(organisation, reading.rows)
        if [change.as_dict() for change in changes] != people_import.changes:
            return False, reading, changes
        outcome = apply(organisation, reading.rows)
        claimed.update(applied_at=timezone.now(), created_count=len(outcome.created), content=b"")
        people_import.new_people = outcome.created
    return True, reading, changes
