"""Seed the benchmark catalogue: 10,000 published courses (bulk inserts, a few seconds).

Usage (bench/run.sh does this for you):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lyceum_bench python bench/seed.py [--courses 10000]

Creates the database when it is missing (the server's `postgres` maintenance database must be reachable),
runs the migrations, then tops the catalogue up to the wanted size. Idempotent: bench rows are keyed by
slug / e-mail prefixes, so a second run with the same size changes nothing and a different size reseeds.
The full-text `search_vector` is filled by the trigger from marketplace migration 0002 as rows are inserted;
the script checks that no published course was left without one, then VACUUM ANALYZEs the tables (as
autovacuum would in production) so the planner sees the real row counts and no dead rows are left.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/lyceum_bench"

# Constants bench/run.sh relies on: the course page it loads and the search word (about 1 course in 10).
FEATURED_SLUG = "bench-python-for-data-analysis"
SEARCH_WORD = os.environ.get("BENCH_SEARCH", "python")  # as run.sh
SLUG_PREFIX = "bench-"
EMAIL_DOMAIN = "bench.lyceum.test"

SUBJECTS = [
    "Python", "JavaScript", "Django", "Rust", "Go", "SQL", "PostgreSQL", "Kubernetes", "Docker", "Linux",
    "Excel", "Statistics", "Machine learning", "Data visualisation", "Figma", "Typography", "Photography",
    "Watercolour", "Guitar", "Piano", "Music theory", "Spanish", "French", "German", "Japanese", "Public speaking",
    "Negotiation", "Bookkeeping", "Marketing", "Copywriting", "Product management", "Leadership", "Yoga",
    "Nutrition", "Chess", "Woodworking", "Gardening", "Baking", "Sketching", "Home recording",
]  # fmt: skip
FORMATS = [
    "{s} for beginners", "Practical {s}", "{s} in 30 days", "Mastering {s}", "{s}: the complete guide",
    "{s} for busy people", "Advanced {s}", "{s} projects", "{s} fundamentals", "Modern {s}",
]  # fmt: skip
AUDIENCES = [
    "absolute beginners", "working professionals", "career changers", "students", "team leads", "hobbyists",
    "freelancers", "small business owners",
]  # fmt: skip
TOPIC_PHRASES = [
    "step-by-step exercises", "real-world projects", "short video lessons", "downloadable worksheets",
    "weekly challenges", "quizzes after each module", "a final capstone project", "common mistakes and fixes",
    "tips from industry practice", "clear explanations without jargon",
]  # fmt: skip

# Technical courses often mention a tool in their description: with SUBJECTS above this makes the search word
# match roughly one course in ten (its own title plus mentions), a realistic load for ranking and counting.
TECHNICAL = {"Django", "SQL", "PostgreSQL", "Statistics", "Machine learning", "Data visualisation", "Linux", "Docker"}
TOOLS = ["Python", "Python and Jupyter notebooks", "Python and the command line"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=int(os.environ.get("BENCH_COURSES", "10000")))
    parser.add_argument("--instructors", type=int, default=200)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--reset", action="store_true", help="Reseed even when the catalogue has the wanted size.")
    parser.add_argument("--seed", type=int, default=6, help="Random seed: the same seed gives the same catalogue.")
    return parser.parse_args()


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (connecting to the server's `postgres` database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(f"The benchmark needs PostgreSQL; DATABASE_URL is {parts.scheme}://…")
    name = parts.path.lstrip("/")
    maintenance = urlunsplit((parts.scheme.replace("pgsql", "postgresql"), parts.netloc, "/postgres", "", ""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()


def description(rng: random.Random, title: str, subject: str, audience: str) -> str:
    phrases = rng.sample(TOPIC_PHRASES, 3)
    tools = f" The examples use {rng.choice(TOOLS)}." if subject in TECHNICAL and rng.random() < 0.5 else ""
    return (
        f"## What you will learn\n\n**{title}** is a course on {subject.lower()} for {audience}. "
        f"It comes with {phrases[0]}, {phrases[1]} and {phrases[2]}.{tools}\n\n"
        f"- Build confidence with {subject.lower()} one lesson at a time\n"
        "- Learn at your own pace, on any device\n"
        "- Ask the instructor when you are stuck\n"
    )


def seed(args: argparse.Namespace) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from accounts.models import User
    from marketplace.demo import CATEGORIES
    from marketplace.models import MAX_PRICE, Category, Course, Enrollment, Lesson, Module, Review

    bench_courses = Course.objects.filter(slug__startswith=SLUG_PREFIX)
    existing = bench_courses.filter(status=Course.Status.PUBLISHED).count()
    if existing == args.courses and not args.reset:
        print(f"{existing} bench courses already seeded")
        return

    rng = random.Random(args.seed)
    now = timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        # Reseed from scratch: enrolments and reviews first (enrolments PROTECT their course).
        Enrollment.objects.filter(course__slug__startswith=SLUG_PREFIX).delete()
        bench_courses.delete()  # modules, lessons and reviews cascade

        categories = []
        for order, (slug, name) in enumerate(CATEGORIES):
            category, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name, "order": order})
            categories.append(category)

        unusable = make_password(None)  # bench accounts cannot log in
        wanted = [f"instructor-{n:04d}@{EMAIL_DOMAIN}" for n in range(args.instructors)]
        wanted += [f"learner-{n:04d}@{EMAIL_DOMAIN}" for n in range(args.learners)]
        have = set(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("email", flat=True))
        User.objects.bulk_create(
            [
                User(
                    email=email,
                    display_name=email.split("@")[0].replace("-", " ").title(),
                    is_instructor=email.startswith("instructor-"),
                    password=unusable,
                )
                for email in wanted
                if email not in have
            ],
            batch_size=1000,
        )
        people = User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("email")
        instructors = [u for u in people if u.is_instructor][: args.instructors]
        learners = [u for u in people if not u.is_instructor][: args.learners]

        courses, enrollments, reviews = [], [], []
        for n in range(args.courses):
            subject = rng.choice(SUBJECTS)
            title = rng.choice(FORMATS).format(s=subject)
            slug = slugify(f"{SLUG_PREFIX}{n:05d} {title}")
            if n == 0:
                subject, title, slug = "Python", "Python for data analysis", FEATURED_SLUG
            audience = rng.choice(AUDIENCES)
            level = rng.choice(Course.Level.values)
            # Enrolments and reviews, so the counters and averages the catalogue sorts by are true.
            enrolled = rng.sample(learners, min(len(learners), int(rng.paretovariate(1.2)) - 1))
            ratings = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 3, 8, 10], k=len(enrolled) // 2)
            course = Course(
                slug=slug,
                title=title,
                subtitle=f"A {Course.Level(level).label.lower()} course for {audience}",
                description=description(rng, title, subject, audience),
                category=rng.choice(categories),
                level=level,
                language=rng.choice(Course.Language.values),
                price_amount=0 if rng.random() < 0.15 else rng.randrange(999, MAX_PRICE // 10, 100),
                currency="usd",
                in_pro_library=rng.random() < 0.3,
                status=Course.Status.PUBLISHED,
                instructor=rng.choice(instructors),
                published_at=now - timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60)),
                enrollment_count=len(enrolled),
                rating_count=len(ratings),
                # The reviews service's rule: Decimal, two places, half up.
                rating_average=(Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                if ratings
                else 0,
            )
            courses.append(course)
            enrollments += [Enrollment(user=u, course=course, source=Enrollment.Source.STAFF) for u in enrolled]
            reviews += [
                Review(course=course, user=u, rating=r, text="Clear and useful.")
                for u, r in zip(enrolled, ratings, strict=False)
            ]
        # One INSERT per batch; the trigger from migration 0002 fills search_vector row by row, and
        # bulk_create sets the ids (PostgreSQL) that the enrolments and reviews below point at.
        Course.objects.bulk_create(courses, batch_size=2000)
        Enrollment.objects.bulk_create(enrollments, batch_size=5000)
        Review.objects.bulk_create(reviews, batch_size=5000)

        # A syllabus for a few courses (the course page loads the featured one).
        modules, lessons = [], []
        for course in courses[:25]:
            for m in range(4):
                modules.append(Module(course=course, title=f"Part {m + 1}", order=m))
        Module.objects.bulk_create(modules)
        for module in modules:
            for k in range(5):
                lessons.append(
                    Lesson(
                        module=module,
                        course=module.course,
                        title=f"{module.course.title}: {module.title.lower()}, lesson {k + 1}",
                        body="Read the notes, try the example, then mark the lesson complete.",
                        duration_minutes=5 + 3 * k,
                        is_preview=module.order == 0 and k == 0,
                        order=k,
                    )
                )
        Lesson.objects.bulk_create(lessons, batch_size=2000)

    unindexed = Course.objects.filter(status=Course.Status.PUBLISHED, search_vector__isnull=True).count()
    if unindexed:
        raise SystemExit(f"{unindexed} published courses have no search_vector: is migration 0002 applied?")
    # What autovacuum would have done by now in production: reclaim the rows a reseed deleted, set the
    # visibility map (index-only counts) and give the planner the real row counts. Outside any transaction.
    tables = ["accounts_user", "marketplace_course", "marketplace_module", "marketplace_lesson"]
    tables += ["marketplace_enrollment", "marketplace_review"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")  # noqa: S608 - fixed table names
    print(
        f"seeded {len(courses)} courses, {len(enrollments)} enrolments, {len(reviews)} reviews, "
        f"{len(lessons)} lessons in {time.monotonic() - started:.1f}s"
    )


def main() -> None:
    args = parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    seed(args)
    from django.contrib.postgres.search import SearchQuery

    from marketplace.caching import catalogue_changed

    catalogue_changed()  # bulk_create sends no signal: pages cached from an earlier seed are stale now

    from marketplace.models import Course

    published = Course.objects.filter(status=Course.Status.PUBLISHED)
    matches = published.filter(search_vector=SearchQuery(SEARCH_WORD, config="english")).count()
    print(f"catalogue: {published.count()} published courses; '{SEARCH_WORD}' matches {matches}")


if __name__ == "__main__":
    main()
