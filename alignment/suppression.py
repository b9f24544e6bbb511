"""Which groups' alignment figures may be shown: only where no person's answers can be worked
out.

Groups form a tree: the organisation, its departments ("other teams" holds the teams without
one) and the teams. A group's figures are shown only when it has at least the minimum number of
respondents, *and* no difference of shown groups leaves a smaller one: for every shown group, the
respondents it has beyond its largest shown subgroups (its *residue*) are none or at least the
minimum. Because the groups nest, every figure that can be computed from the shown ones is a sum
over such residues, so no group smaller than the minimum can be isolated (see ``settle``).

Every page, the export and every role's view draw from the one set of groups settled here.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

ORGANISATION, DEPARTMENT, OTHER, TEAM = "organisation", "department", "other", "team"
ORGANISATION_KEY, OTHER_KEY = "organisation", "other"
# Below this nobody is protected, whatever an organisation's setting says.
GROUP_SIZE_FLOOR = 3


@dataclass(eq=False)
class Group:
    key: str
    label: str
    kind: str
    # Respondents counted in this group but in none of its children (answers for a team that
    # was not among the survey's teams when it opened).
    direct: int = 0
    children: list["Group"] = field(default_factory=list)
    team_ids: set = field(default_factory=set)
    size: int = 0
    depth: int = 0

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def count_sizes(group: Group) -> int:
    group.size = group.direct + sum(count_sizes(child) for child in group.children)
    return group.size


def settle(root: Group, minimum: int) -> set[str]:
    """The keys of the groups whose figures may be shown (sizes must be counted first).

    Bottom-up: a group is shown when it has ``minimum`` respondents; then, while the
    respondents it has beyond its shown subgroups are more than none but fewer than
    ``minimum``, the smallest of those subgroups is hidden too (complementary suppression).
    Hiding a subgroup only changes the residue of groups above it, which are settled later.
    """
    minimum = max(minimum, 1)
    shown: set[str] = set()

    def largest_shown_below(group):
        for child in group.children:
            if child.key in shown:
                yield child
            else:
                yield from largest_shown_below(child)

    def residue(group) -> int:
        return group.size - sum(below.size for below in largest_shown_below(group))

    def visit(group):
        for child in group.children:
            visit(child)
        if group.size < minimum:
            return  # every group below is smaller still, so nothing below is shown either
        shown.add(group.key)
        while 0 < residue(group) < minimum:
            smallest = min(largest_shown_below(group), key=lambda g: (g.size, g.key))
            shown.discard(smallest.key)

    visit(root)
    return shown


def structure_of(teams) -> list[dict]:
    """The teams with their departments as they are now, to keep with a survey."""
    return [
        {
            "id": team.pk,
            "name": team.name,
            "department_id": team.department_id,
            "department": team.department.name if team.department else None,
        }
        for team in teams
    ]


def group_tree(organisation, structure, respondents_per_team: dict) -> Group:
    """Organisation → departments (and "other teams") → teams, with their sizes counted.

    ``structure`` is a survey's teams as kept when it opened (``structure_of``);
    ``respondents_per_team`` maps team ids (None: a team outside the structure) to counts.
    """
    root = Group(ORGANISATION_KEY, organisation.name, ORGANISATION)
    departments: dict = {}
    other = Group(OTHER_KEY, str(_("Other teams")), OTHER)
    order = sorted(structure, key=lambda t: (t["department"] is None, t["department"], t["name"]))
    for team in order:
        node = Group(f"team:{team['id']}", team["name"], TEAM, team_ids={team["id"]})
        node.direct = respondents_per_team.get(team["id"], 0)
        if team["department_id"] is None:
            parent = other
        else:
            parent = departments.get(team["department_id"])
            if parent is None:
                parent = departments[team["department_id"]] = Group(
                    f"department:{team['department_id']}", team["department"], DEPARTMENT
                )
                root.children.append(parent)
        parent.children.append(node)
    other.direct = respondents_per_team.get(None, 0)
    if other.children or other.direct:
        root.children.append(other)
    for group in root.children:
        group.team_ids = {team_id for child in group.children for team_id in child.team_ids}
    other.team_ids.add(None)
    root.team_ids = {team_id for group in root.children for team_id in group.team_ids}
    for group in root.walk():
        for child in group.children:
            child.depth = group.depth + 1
    count_sizes(root)
    return root
