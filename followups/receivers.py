"""What the follow-ups do when the apps below them announce something."""

from followups import ownership, tasks
from organisations import enqueue


def open_new_followups(sender, organisation, **kwargs):
    # Sent after the commit that stored the answers; the sweeper catches what is lost here.
    enqueue.send(tasks.open_followups, organisation.pk)


def person_left(sender, person, **kwargs):
    ownership.hand_back_to_lead(person)
