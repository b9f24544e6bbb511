"""Which groups' figures may be shown: the minimum group size, roll-up and complementary
suppression (levels.alignment.settle), on trees worked out by hand and on random ones."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.suppression import Group, count_sizes, settle


def team(name, n):
    return Group(f"team:{name}", name, "team", direct=n)


def group(key, *children, direct=0):
    return Group(key, key, "department", direct=direct, children=list(children))


def settled(root, minimum=5):
    count_sizes(root)
    return settle(root, minimum)


def test_a_group_below_the_minimum_is_hidden():
    root = group("organisation", team("a", 4))
    assert settled(root) == set()


def test_teams_and_organisation_at_the_minimum_are_shown():
    root = group("organisation", group("d", team("a", 5), team("b", 6)))
    assert settled(root) == {"organisation", "d", "team:a", "team:b"}


def test_a_small_team_rolls_up_and_its_sibling_is_hidden_so_it_cannot_be_subtracted():
    # Department of 10: a (6) could be shown, b (4) not. Showing a beside the department
    # would give b as department − a, so a is hidden as well; the department is shown.
    root = group("organisation", group("d", team("a", 6), team("b", 4)))
    assert settled(root) == {"organisation", "d"}


def test_two_small_teams_together_reach_the_minimum_and_their_sibling_stays():
    # b (3) and c (2) roll up together: department − a leaves 5 people, enough.
    root = group("organisation", group("d", team("a", 6), team("b", 3), team("c", 2)))
    assert settled(root) == {"organisation", "d", "team:a"}


def test_the_organisation_total_never_reveals_a_small_group_outside_the_shown_ones():
    # A (5+5) and B (6) are shown, "other" (2) is not: organisation − A − B would give the 2.
    # Hiding B alone does not help (its team, also shown, gives the same figure), so its team
    # goes too: organisation − A leaves 8 people.
    root = group(
        "organisation",
        group("A", team("a1", 5), team("a2", 5)),
        group("B", team("b1", 6)),
        group("other", team("c1", 2)),
    )
    assert settled(root) == {"organisation", "A", "team:a1", "team:a2"}


def test_answers_without_a_team_count_like_a_small_team():
    root = group("organisation", group("other", team("a", 7), direct=2))
    assert settled(root) == {"organisation", "other"}


def test_with_nothing_hidden_there_is_nothing_to_protect():
    root = group("organisation", group("d", team("a", 5)), group("e", team("b", 9)))
    assert settled(root) == {"organisation", "d", "e", "team:a", "team:b"}


# --- Any tree: no figure that can be computed from the shown ones covers fewer people ---------


@st.composite
def trees(draw):
    departments = []
    for d in range(draw(st.integers(1, 4))):
        teams = [team(f"{d}-{t}", draw(st.integers(0, 12))) for t in range(draw(st.integers(1, 4)))]
        departments.append(group(f"d{d}", *teams, direct=draw(st.sampled_from([0, 0, 0, 1, 3]))))
    return group("organisation", *departments)


def atoms(root):
    """Where respondents sit: each team, and each group's own respondents outside its teams."""
    return [g for g in root.walk() if g.direct]


def members(g):
    return {a.key for a in g.walk() if a.direct}


@settings(max_examples=300, deadline=None)
@given(trees(), st.integers(3, 8))
def test_every_shown_group_reaches_the_minimum_and_leaves_none_or_enough_beyond_its_parts(
    root, minimum
):
    shown = settled(root, minimum)
    by_key = {g.key: g for g in root.walk()}
    for key in shown:
        g = by_key[key]
        assert g.size >= minimum
        inner = [d for d in g.walk() if d is not g and d.key in shown]
        largest = [d for d in inner if not any(d in o.walk() and d is not o for o in inner)]
        residue = g.size - sum(d.size for d in largest)
        assert residue == 0 or residue >= minimum


@settings(max_examples=150, deadline=None)
@given(trees(), st.integers(3, 6))
def test_no_sum_or_difference_of_shown_groups_isolates_fewer_than_the_minimum(root, minimum):
    """The attacker adds and subtracts up to four shown groups' totals (sums = mean × count);
    whatever whole set of people that leaves must be none or at least the minimum."""
    shown = settled(root, minimum)
    by_key = {g.key: g for g in root.walk()}
    places = atoms(root)
    vectors = {key: [int(a.key in members(by_key[key])) for a in places] for key in shown}
    keys = sorted(shown)
    for size in range(1, min(4, len(keys)) + 1):
        for chosen in itertools.combinations(keys, size):
            for signs in itertools.product((1, -1), repeat=size):
                total = [
                    sum(s * vectors[k][i] for s, k in zip(signs, chosen, strict=True))
                    for i in range(len(places))
                ]
                if all(x in (0, 1) for x in total):
                    people = sum(a.direct for a, x in zip(places, total, strict=True) if x)
                    assert people == 0 or people >= minimum, (chosen, signs)
