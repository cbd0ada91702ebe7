"""Demo catalogue for `manage.py seed_demo`: believable, idempotent (keyed by slugs and e-mails)."""

import itertools

from django.db import transaction
from django.utils import timezone

from .models import Category, Course, Enrollment, Lesson, Module

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
                rating_average=[4.8, 4.5, 4.2, 3.9, 4.6][n % 5],
                rating_count=(n * 7) % 40,
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
    learner = User.objects.filter(email="learner@lyceum.test").first()
    first = Course.objects.filter(slug="python-from-zero").first()
    if learner and first and not Enrollment.objects.filter(user=learner, course=first).exists():
        Enrollment.objects.create(user=learner, course=first, source=Enrollment.Source.STAFF)
        Course.objects.filter(pk=first.pk).update(enrollment_count=first.enrollment_count + 1)
    return len(created_ids)
