import factory
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from marketplace.models import Category, Course, Enrollment, Lesson, Module


class InstructorFactory(VerifiedUserFactory):
    is_instructor = True


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course number {n}")
    slug = factory.Sequence(lambda n: f"course-number-{n}")
    subtitle = "Learn something useful"
    description = "A thorough, practical course that takes you from the basics to real confidence."
    category = factory.SubFactory(CategoryFactory)
    instructor = factory.SubFactory(InstructorFactory)
    price_amount = 1999
    currency = "usd"


class PublishedCourseFactory(CourseFactory):
    status = Course.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    order = factory.Sequence(lambda n: n)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    course = factory.LazyAttribute(lambda o: o.module.course)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    body = "Some **text** to read."
    duration_minutes = 10
    order = factory.Sequence(lambda n: n)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(VerifiedUserFactory)
    course = factory.SubFactory(PublishedCourseFactory)
    source = Enrollment.Source.STAFF


def course_with_lessons(modules: int = 2, lessons: int = 2, factory_class=PublishedCourseFactory, **kwargs) -> Course:
    course = factory_class(**kwargs)
    for m in range(modules):
        module = ModuleFactory(course=course, order=m)
        for n in range(lessons):
            LessonFactory(module=module, order=n, is_preview=(m == 0 and n == 0))
    return course
