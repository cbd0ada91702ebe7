"""The rewards pages: they render for a learner, refuse anonymous visitors, and have fixed query counts."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import VerifiedUserFactory
from rewards.models import ShopItem, TokenBalance
from rewards.services import earning, follows, streaks

from .factories import enrolled_course

pytestmark = pytest.mark.django_db


def busy_learner(lessons=3):
    learner = VerifiedUserFactory(timezone="UTC")
    course = enrolled_course(learner, lessons=lessons)
    now = timezone.now()
    for i, lesson in enumerate(course.lessons.all()):
        streaks.record_learning(learner, at=now - timedelta(days=lessons - 1 - i))
        earning.award_lesson(learner, course, lesson.pk, at=now - timedelta(days=lessons - 1 - i))
    return learner


@pytest.mark.parametrize("name", ["rewards:wallet", "rewards:league", "rewards:shop", "rewards:friends"])
def test_pages_need_a_signed_in_learner(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wallet_shows_balance_streak_history_and_calendar(client):
    learner = busy_learner()
    client.force_login(learner)
    page = client.get(reverse("rewards:wallet")).content.decode()
    assert "6 tokens" in page
    assert "3 days" in page
    assert page.count('class="heatmap-week"') >= 52
    assert page.count("A lesson of") == 3
    assert 'aria-label="Rewards: 3-day streak, 6 tokens"' in page  # the header badge


def test_wallet_filters_by_kind_and_ignores_an_unknown_kind(client):
    learner = busy_learner()
    client.force_login(learner)
    assert "Nothing here yet" in client.get(reverse("rewards:wallet"), {"kind": "spent"}).content.decode()
    response = client.get(reverse("rewards:wallet"), {"kind": "<script>", "page": "nope"})
    assert response.status_code == 200 and response.content.decode().count("A lesson of") == 3


@pytest.mark.parametrize("lessons", [2, 6])
def test_wallet_query_count_is_fixed(client, django_assert_num_queries, lessons):
    learner = busy_learner(lessons)
    client.force_login(learner)
    # session, user, balance, streak, milestone rule, entries count, entries page, calendar, badges
    with django_assert_num_queries(9):
        client.get(reverse("rewards:wallet"))


@pytest.mark.parametrize("neighbours", [2, 12])
@pytest.mark.parametrize("board", ["league", "weekly", "global", "friends"])
def test_league_page_query_count_is_fixed(client, django_assert_num_queries, neighbours, board, settings):
    settings.REWARDS_BOARDS_REDIS_URL = ""
    learner = busy_learner()
    course = enrolled_course(learner, lessons=0)
    for _ in range(neighbours):
        other = VerifiedUserFactory()
        earning.award_lesson(other, course, 10_000 + other.pk)
        follows.follow(other, learner.pk)
        follows.follow(learner, other.pk)
    client.force_login(learner)
    expected = {"league": 6, "weekly": 9, "global": 9, "friends": 10}[board]
    with django_assert_num_queries(expected):
        response = client.get(reverse("rewards:league"), {"board": board})
    assert response.status_code == 200


def test_league_page_shows_the_group_with_zones(client):
    learner = busy_learner()
    course = enrolled_course(learner, lessons=0)
    for n in range(14):
        other = VerifiedUserFactory(display_name=f"Neighbour {n}")
        for k in range(n):
            earning.award_lesson(other, course, 20_000 + other.pk * 100 + k)
    client.force_login(learner)
    page = client.get(reverse("rewards:league")).content.decode()
    assert page.count("zone-promotion") == 7
    assert page.count("zone-demotion") == 0  # Bronze: nobody goes down
    assert "<strong>You</strong>" in page
    assert re.search(r"\d+ days? \d+ h</strong> left", page)


def test_shop_page_lists_items_and_redeeming_a_freeze(client):
    learner = busy_learner()
    TokenBalance.objects.filter(user=learner).update(balance=0)
    client.force_login(learner)
    page = client.get(reverse("rewards:shop")).content.decode()
    assert "Streak freeze" in page and "7 days of Pro" in page
    freeze = ShopItem.objects.get(code="streak-freeze")
    response = client.post(reverse("rewards:redeem", args=[freeze.pk]), {"key": "k1"}, follow=True)
    assert "costs 50 tokens; you have 0" in response.content.decode()


def test_redeem_unknown_item_is_a_message_not_an_error(client):
    learner = busy_learner()
    client.force_login(learner)
    response = client.post(reverse("rewards:redeem", args=[999_999]), {"key": "k"}, follow=True)
    assert response.status_code == 200 and "no such item" in response.content.decode()


def test_follow_by_profile_link_makes_friends_and_unfollow(client):
    learner, other = VerifiedUserFactory(display_name="Me"), VerifiedUserFactory(display_name="Olga")
    follows.follow(other, learner.pk)
    client.force_login(learner)
    link = f"http://testserver{reverse('rewards:profile', args=[other.pk])}"
    page = client.post(reverse("rewards:follow"), {"learner": link}, follow=True).content.decode()
    assert "You now follow them." in page
    assert "Olga" in page.split('id="friends-heading"')[1].split("</section>")[0]
    for bad in ("", "not a link", "999999", str(learner.pk)):
        response = client.post(reverse("rewards:follow"), {"learner": bad}, follow=True)
        assert response.status_code == 200
    client.post(reverse("rewards:unfollow", args=[other.pk]))
    assert not learner.following.exists()


def test_public_profile_respects_the_public_setting(client):
    shy = VerifiedUserFactory(display_name="Shy", on_public_leaderboards=False)
    page = client.get(reverse("rewards:profile", args=[shy.pk])).content.decode()
    assert "keeps their progress private" in page
    assert client.get(reverse("rewards:profile", args=[999_999])).status_code == 404
