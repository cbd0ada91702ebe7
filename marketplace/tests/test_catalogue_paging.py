"""CataloguePaginator: a search page comes in two queries (ids with the number of matches, then the courses)
and says exactly what Django's Paginator says over the same queryset, for every sort, filter and page."""

from decimal import Decimal

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection

from marketplace import selectors
from marketplace.models import Course
from marketplace.selectors import SORTS, CatalogueFilters, CataloguePaginator

from .factories import CategoryFactory, PublishedCourseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the one-pass search page uses PostgreSQL full-text search")


@pytest.fixture
def catalogue():
    """23 courses that mention Python (title, subtitle or description, so ranks differ and also tie), 4 that don't."""
    design = CategoryFactory(slug="design", name="Design")
    courses = []
    for i in range(23):
        where = i % 3
        courses.append(
            PublishedCourseFactory(
                title=f"Python course {i}" if where == 0 else f"Data course {i}",
                subtitle="Hands-on Python" if where == 1 else "",
                description="Examples in Python." if where == 2 else "Tables and charts.",
                price_amount=[0, 999, 1999, 4900][i % 4],
                enrollment_count=i % 5,
                rating_average=Decimal(["4.50", "3.00", "5.00"][i % 3]),
                rating_count=i % 3,
                level=[Course.Level.BEGINNER, Course.Level.ADVANCED][i % 2],
                category=design if i % 4 == 0 else None,
            )
        )
    for i in range(4):
        PublishedCourseFactory(title=f"Watercolour {i}", description="Brushes and paper.")
    return courses


def _same_pages(filters: CatalogueFilters, per_page: int) -> int:
    queryset = selectors.catalogue(filters)
    expected = Paginator(queryset, per_page)
    pages = 0
    for number in expected.page_range:
        ours = CataloguePaginator(selectors.catalogue(filters), per_page)
        page = ours.page(number)
        assert [c.pk for c in page.object_list] == [c.pk for c in expected.page(number).object_list]
        assert (ours.count, ours.num_pages) == (expected.count, expected.num_pages)
        assert (page.has_next(), page.start_index(), page.end_index()) == (
            expected.page(number).has_next(),
            expected.page(number).start_index(),
            expected.page(number).end_index(),
        )
        pages += 1
    return pages


@pytest.mark.parametrize("sort", ["", "relevance", *SORTS])
def test_every_page_of_every_sort_matches_djangos_paginator(catalogue, sort):
    assert _same_pages(CatalogueFilters(q="python", sort=sort), per_page=5) == 5  # 23 matches: 5+5+5+5+3


def test_filters_combine_with_the_search(catalogue):
    filters = CatalogueFilters(q="python", level=Course.Level.BEGINNER, max_price=1999, free=False)
    assert _same_pages(filters, per_page=2) >= 2
    assert _same_pages(CatalogueFilters(q="python", category="design", min_rating=Decimal("4")), per_page=2) >= 1


def test_a_search_page_is_two_queries_and_the_rows_keep_their_rank(catalogue, django_assert_num_queries):
    paginator = CataloguePaginator(selectors.catalogue(CatalogueFilters(q="python")), 10)
    with django_assert_num_queries(2) as queries:
        page = paginator.page(2)
        assert paginator.count == 23
        assert [c.title for c in page.object_list]  # category and instructor came with them: no more queries
        assert all(c.instructor.name for c in page.object_list)
    ids, courses = (query["sql"] for query in queries.captured_queries)
    # The matches are read once: ranked with their count in a fenced subquery, not COUNTed and then sorted.
    assert "COUNT(*) OVER ()" in ids and "OFFSET 0) AS hits" in ids and "__count" not in ids
    assert '"marketplace_course"."id" IN (' in courses
    ranks = [c.rank for c in page.object_list]
    assert ranks == sorted(ranks, reverse=True)


def test_no_match_is_an_empty_first_page_and_past_the_end_is_refused(catalogue):
    empty = CataloguePaginator(selectors.catalogue(CatalogueFilters(q="kubernetes")), 10)
    page = empty.page(1)
    assert (empty.count, list(page.object_list)) == (0, [])

    paginator = CataloguePaginator(selectors.catalogue(CatalogueFilters(q="python")), 10)
    with pytest.raises(EmptyPage):
        paginator.page(4)
    for bad in ("abc", "1.5", None):
        with pytest.raises(PageNotAnInteger):
            CataloguePaginator(selectors.catalogue(CatalogueFilters(q="python")), 10).page(bad)
    with pytest.raises(EmptyPage):
        CataloguePaginator(selectors.catalogue(CatalogueFilters(q="python")), 10).page(0)
    # get_page, as the web catalogue uses it: nonsense gives the first page, too far gives the last.
    assert CataloguePaginator(selectors.catalogue(CatalogueFilters(q="python")), 10).get_page("x").number == 1
    assert CataloguePaginator(selectors.catalogue(CatalogueFilters(q="python")), 10).get_page(99).number == 3


def test_a_course_unpublished_between_the_two_queries_drops_out(catalogue, monkeypatch):
    ranked_ids = CataloguePaginator._ranked_ids
    victim = {}

    def then_unpublish(self, *args, **kwargs):
        hits = ranked_ids(self, *args, **kwargs)
        victim["pk"] = hits[0][0]
        Course.objects.filter(pk=hits[0][0]).update(status=Course.Status.ARCHIVED)
        return hits

    monkeypatch.setattr(CataloguePaginator, "_ranked_ids", then_unpublish)
    page = CataloguePaginator(selectors.catalogue(CatalogueFilters(q="python")), 10).page(1)

    assert len(page.object_list) == 9
    assert victim["pk"] not in [c.pk for c in page.object_list]


def test_the_plain_catalogue_still_counts_and_slices(catalogue, django_assert_num_queries):
    paginator = CataloguePaginator(selectors.catalogue(CatalogueFilters()), 10)
    with django_assert_num_queries(2):  # COUNT, then the page
        page = paginator.page(3)
        assert paginator.count == 27
        assert len(page.object_list) == 7


def test_other_querysets_get_djangos_paging(catalogue):
    """values(), a slice or an ordering the one pass cannot express: the same answer as Django's Paginator."""
    search = selectors.catalogue(CatalogueFilters(q="python"))
    for queryset in (
        search.values("id", "title", "rank"),
        search[:12],
        search.order_by("category", "-id"),  # a relation: Django orders by the category's Meta.ordering
    ):
        ours, expected = CataloguePaginator(queryset, 5), Paginator(queryset, 5)
        assert list(ours.page(2).object_list) == list(expected.page(2).object_list)
        assert ours.count == expected.count


def test_the_web_catalogue_pages_a_search_in_one_pass(catalogue, client, django_assert_num_queries):
    with django_assert_num_queries(3) as queries:  # ids with the count, the courses, the categories
        response = client.get("/courses/", {"q": "python", "page": 2})
    assert response.status_code == 200 and "23 courses" in response.content.decode()
    assert "COUNT(*) OVER ()" in queries.captured_queries[0]["sql"]
    assert not any('"__count"' in query["sql"] for query in queries.captured_queries)
    # get_page's forgiveness is kept: nonsense is the first page, too far the last.
    assert client.get("/courses/", {"q": "python", "page": "x"}).context["page"].number == 1
    assert client.get("/courses/", {"q": "python", "page": 99}).context["page"].number == 2


def test_the_api_and_the_page_page_through_a_search(catalogue, client, django_assert_num_queries):
    with django_assert_num_queries(2):
        body = client.get("/api/v1/courses/", {"q": "python", "page": 3, "page_size": 10}).json()
    assert body["count"] == 23
    assert len(body["results"]) == 3
    assert body["next"] is None and "page=2" in body["previous"]

    # Past the last page is an empty page that still counts and links back (issue 11, defect 10).
    past = client.get("/api/v1/courses/", {"q": "python", "page": 4, "page_size": 10})
    assert past.status_code == 200
    assert past.json()["results"] == [] and past.json()["count"] == 23 and past.json()["next"] is None

    response = client.get("/courses/", {"q": "python", "page": 2})
    assert response.status_code == 200
    assert "23 courses" in response.content.decode()
