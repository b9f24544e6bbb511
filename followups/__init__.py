"""Follow-ups of unhappy customers: a detractor who can be reached becomes a case with an owner,
a deadline and alerts, and the organisation's record of closing the loop is open to everyone."""
