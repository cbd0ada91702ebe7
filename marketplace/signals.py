from django.dispatch import Signal

# Sent once per learner and course, after the transaction that completed the last lesson commits.
# Arguments: user, course, completion. Receivers (e.g. rewards) should call their own services.
course_completed = Signal()

# Sent once per learner and lesson, after the transaction that first recorded the lesson as done commits
# (completing it again sends nothing). Arguments: user, lesson, course, progress (its completed_at is when).
lesson_completed = Signal()

# Sent after the transaction that ended a learner's enrolment because its purchase was refunded in full.
# Arguments: user, course, payment. Receivers (e.g. rewards, reversing what the course earned) call services.
course_refunded = Signal()
