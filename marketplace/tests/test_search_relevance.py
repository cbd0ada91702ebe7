"""Catalogue search ranks with the stored, weighted search vector (title A, subtitle B, description C)."""

import pytest
from django.db import connection

from marketplace import selectors
from marketplace.selectors import CatalogueFilters

from .factories import PublishedCourseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("ranking uses PostgreSQL full-text search")


def test_a_title_match_ranks_above_a_description_match():
    # Created first, so an id tie-break alone would put it last.
    in_title = PublishedCourseFactory(title="Python for analysts", description="Spreadsheets, charts and reports.")
    in_subtitle = PublishedCourseFactory(title="Data wrangling", subtitle="Hands-on Python", description="Tables.")
    in_description = PublishedCourseFactory(title="Data wrangling", description="The examples use Python.")
    PublishedCourseFactory(title="Watercolour basics", description="Brushes and paper.")

    found = list(selectors.catalogue(CatalogueFilters(q="python")))

    assert found == [in_title, in_subtitle, in_description]
    assert found[0].rank > found[1].rank > found[2].rank > 0


def test_the_rank_reads_the_stored_vector_instead_of_rebuilding_one():
    sql = str(selectors.catalogue(CatalogueFilters(q="python")).query)

    assert 'ts_rank("marketplace_course"."search_vector"' in sql
    assert "to_tsvector" not in sql  # re-parsing each row's vector as text is what made search slow
