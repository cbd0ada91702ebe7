from django.dispatch import Signal

# Sent once per learner and course, after the transaction that completed the last lesson commits.
# Arguments: user, course, completion. Receivers (e.g. rewards) should call their own services.
course_completed = Signal()
