"""Demo catalogue for `manage.py seed_demo`: believable, idempotent (keyed by slugs and e-mails)."""

import itertools

from django.db import transaction
from django.utils import timezone

from .models import Category, Course, Enrollment, Lesson, Module
from .services import learning

CATEGORIES = [
    ("programming", "Programming"),
    ("data", "Data science"),
    ("design", "Design"),
    ("business", "Business"),
    ("languages", "Languages"),
    ("music", "Music"),
]
INSTRUCTORS = [
    ("instructor@lyceum.test", "Ines Instructor"),
    ("priya@lyceum.test", "Priya Raman"),
    ("marco@lyceum.test", "Marco Bellini"),
    ("hannah@lyceum.test", "Hannah Schmidt"),
]
TOPICS = {
    "programming": ["Python from zero", "Modern JavaScript", "Django web apps", "Rust for the curious", "Git in practice", "Testing with pytest"],
    "data": ["SQL for analysts", "Pandas essentials", "Statistics without tears", "Machine learning basics", "Data visualisation", "PostgreSQL performance"],
    "design": ["UX research methods", "Typography basics", "Figma for teams", "Accessible interfaces", "Colour theory"],
    "business": ["Freelancing 101", "Product management", "Negotiation skills", "Bookkeeping for small business", "Public speaking"],
    "languages": ["Spanish for travellers", "French pronunciation", "Business English", "German grammar made simple", "Japanese kana"],
    "music": ["Guitar for beginners", "Music theory", "Home recording", "Piano chords"],
}  # fmt: skip
LEVELS = [Course.Level.BEGINNER, Course.Level.INTERMEDIATE, Course.Level.ADVANCED, Course.Level.ALL]
PRICES = [0, 1999, 2999, 4999, 999, 7999, 0, 3999]
REVIEWERS = [
    ("amara@lyceum.test", "Amara Okafor"),
    ("tomas@lyceum.test", "Tomás Ruiz"),
    ("mei@lyceum.test", "Mei Tanaka"),
    ("olivier@lyceum.test", "Olivier Dupont"),
    ("sara@lyceum.test", "Sara Lindqvist"),
    ("kwame@lyceum.test", "Kwame Mensah"),
]
REVIEW_TEXTS = [
    (5, "Exactly the right pace. The worked examples made everything click, and I used it at work the next day."),
    (4, "Very clear explanations. I would have liked a few more exercises at the end of each part."),
    (5, "The best introduction I have found: short lessons, no fluff, and the instructor clearly knows the subject."),
    (3, "Good content, but the second part moves quickly if you are new to the topic."),
    (4, "Practical and well organised. The examples are realistic rather than toy problems."),
    (2, "Too basic for me; I expected more depth given the level. Fine for complete beginners."),
    (5, "I finally understand it. Thank you for the patient, step-by-step approach."),
    (4, "Solid course with useful real-world tips. Audio could be a little louder in places."),
]
REPLIES = [
    "Thank you! More exercises are coming in the next update.",
    "Thanks for the honest feedback: I am adding a slower walkthrough to part two.",
]


@transaction.atomic
def seed_demo() -> int:
    """Create what is missing; returns how many courses were created."""
    from accounts.models import User

    categories = {}
    for order, (slug, name) in enumerate(CATEGORIES):
        categories[slug], _ = Category.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
    instructors = []
    for email, name in INSTRUCTORS:
        user, created = User.objects.get_or_create(email=email, defaults={"display_name": name, "is_instructor": True})
        if created:
            from accounts.management.commands.seed_demo import DEMO_PASSWORD

            user.set_password(DEMO_PASSWORD)
            user.save()
        instructors.append(user)
    created_ids = []
    counter = itertools.count()
    now = timezone.now()
    for slug, titles in TOPICS.items():
        for title in titles:
            n = next(counter)
            course_slug = title.lower().replace(" ", "-").replace("'", "")
            if Course.objects.filter(slug=course_slug).exists():
                continue
            course = Course.objects.create(
                slug=course_slug,
                title=title,
                subtitle=f"A practical {LEVELS[n % 4].label.lower()} course in {categories[slug].name.lower()}",
                description=(
                    f"## What you will learn\n\n**{title}** takes you step by step through the essentials, "
                    "with short lessons, worked examples and exercises.\n\n- Clear explanations\n- Real projects\n"
                ),
                category=categories[slug],
                level=LEVELS[n % 4],
                price_amount=PRICES[n % len(PRICES)],
                in_pro_library=n % 3 == 0,
                instructor=instructors[n % len(instructors)],
                status=Course.Status.PUBLISHED,
                published_at=now - timezone.timedelta(days=n * 3),
            )
            for m in range(2 + n % 2):
                module = Module.objects.create(course=course, title=f"Part {m + 1}", order=m)
                for k in range(3):
                    Lesson.objects.create(
                        module=module,
                        course=course,
                        title=f"{title}: lesson {m * 3 + k + 1}",
                        body=f"Lesson {k + 1} of part {m + 1}. Read, try the example, then mark it complete.",
                        duration_minutes=5 + (k * 4),
                        is_preview=m == 0 and k == 0,
                        order=k,
                    )
            created_ids.append(course.pk)
    staff = _demo_staff()
    learner = User.objects.filter(email="learner@lyceum.test").first()
    first = Course.objects.filter(slug="python-from-zero").first()
    if staff and learner and first and not Enrollment.objects.filter(user=learner, course=first).exists():
        learning.grant_enrollment(learner, first, by=staff)
    if staff:
        _seed_reviews(staff)
    return len(created_ids)


def _demo_staff():
    """The staff member who grants the demo enrolments (accounts' seed_demo creates the demo admin first)."""
    from accounts.models import User

    return User.objects.filter(is_staff=True, is_active=True).order_by("-is_superuser", "pk").first()


def _seed_reviews(staff) -> None:
    """Learners who took part of a course review it through the reviews service, so ratings are real averages.
    Their enrolments and progress go through the learning services too, as a real learner's would."""
    from accounts.management.commands.seed_demo import DEMO_PASSWORD
    from accounts.models import User

    from .models import Review
    from .services import reviews

    reviewers = []
    for email, name in REVIEWERS:
        user, created = User.objects.get_or_create(email=email, defaults={"display_name": name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        reviewers.append(user)
    slugs = [title.lower().replace(" ", "-").replace("'", "") for titles in TOPICS.values() for title in titles]
    courses = Course.objects.filter(slug__in=slugs, status=Course.Status.PUBLISHED).select_related("instructor")
    by_slug = {course.slug: course for course in courses}
    for n, slug in enumerate(slugs):
        course = by_slug.get(slug)
        lesson = Lesson.objects.filter(course=course).order_by("module__order", "order", "id").first()
        if course is None or lesson is None:
            continue
        for k in range(n % 6):  # 0 to 5 reviews per course
            user = reviewers[(n + k) % len(reviewers)]
            if Review.objects.filter(course=course, user=user).exists():
                continue
            if course.is_free:
                learning.enroll_free(user, course)  # an enrolment they already have is kept as it is
            else:
                learning.grant_enrollment(user, course, by=staff)
            learning.complete_lesson(user, lesson)
            rating, text = REVIEW_TEXTS[(n * 3 + k) % len(REVIEW_TEXTS)]
            review, _ = reviews.submit_review(user, course, rating, text)
            if k == 0 and n % 4 == 1:
                reviews.reply_to_review(course.instructor, review, REPLIES[n % len(REPLIES)])
