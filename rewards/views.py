"""Rewards pages: wallet, streak and league, shop, friends and public learner profiles. Thin: parse, call a
selector or service, render."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.interface import User
from config.errors import DomainError

from . import selectors
from .models import TokenEntry
from .services import boards, follows, leagues, shop

BOARDS = {
    "league": "This week's group",
    "weekly": "Global this week",
    "global": "Global all time",
    "friends": "Friends",
}


@login_required
def wallet(request):
    summary = selectors.wallet_summary(request.user)
    kind = request.GET.get("kind", "")
    if kind not in TokenEntry.Kind.values:
        kind = ""
    page = Paginator(selectors.entries(request.user, kind or None), 20).get_page(request.GET.get("page"))
    milestone = selectors.next_milestone(summary.streak)
    return render(
        request,
        "rewards/wallet.html",
        {
            "summary": summary,
            "page": page,
            "kind": kind,
            "kinds": TokenEntry.Kind.choices,
            "milestone": milestone,
            "milestone_percent": int(summary.streak * 100 / milestone[0]) if milestone else 100,
            "calendar": selectors.learning_calendar(request.user),
            "badges": selectors.badges(request.user),
        },
    )


@login_required
def league(request):
    board_name = request.GET.get("board", "league")
    if board_name not in BOARDS:
        board_name = "league"
    summary = selectors.wallet_summary(request.user)
    member, group = selectors.league_standing(request.user)
    size = len(group)
    level = member.group.level if member else summary.level
    rows = []
    for rank, other in enumerate(group, start=1):
        zone = ""
        if rank <= leagues.PROMOTED and level < leagues.TOP_LEVEL:
            zone = "promotion"
        elif rank > max(size - leagues.DEMOTED, leagues.PROMOTED) and level > 1:
            zone = "demotion"
        rows.append({"rank": rank, "member": other, "zone": zone, "me": other.user_id == request.user.pk})
    board = None
    board_rows = []
    if board_name != "league":
        board = {
            "weekly": boards.weekly_board,
            "global": boards.global_board,
            "friends": boards.friends_board,
        }[board_name](request.user.pk)
        names = selectors.display_names([r.user_id for r in board.rows])
        board_rows = [{"row": r, "name": names.get(r.user_id, "")} for r in board.rows]
    ends = leagues.week_end(leagues.week_start())
    return render(
        request,
        "rewards/league.html",
        {
            "summary": summary,
            "member": member,
            "rows": rows,
            "level_name": leagues.level_name(level),
            "time_left": ends - timezone.now(),
            "ends": ends,
            "board_name": board_name,
            "boards": BOARDS,
            "board": board,
            "board_rows": board_rows,
            "public": request.user.on_public_leaderboards,
        },
    )


@login_required
def shop_page(request):
    return render(
        request,
        "rewards/shop.html",
        {
            "items": selectors.shop_items(request.user),
            "summary": selectors.wallet_summary(request.user),
            "key": uuid.uuid4().hex,
        },
    )


@login_required
@require_POST
def redeem(request, item_id):
    try:
        course = shop.course_id_from_text(request.POST.get("course", "")[:300])
        outcome = shop.redeem(request.user, item_id, key=request.POST.get("key", ""), course_id=course)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        level = messages.SUCCESS if outcome.redemption.status == "granted" else messages.WARNING
        messages.add_message(request, level, outcome.message)
    return redirect("rewards:shop")


@login_required
def friends(request):
    profile_url = request.build_absolute_uri(reverse("rewards:profile", args=[request.user.pk]))
    return render(request, "rewards/friends.html", {**selectors.friends_page(request.user), "profile_url": profile_url})


@login_required
@require_POST
def follow(request):
    user_id = follows.learner_from_link(request.POST.get("learner", ""))
    try:
        _, created = follows.follow(request.user, user_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You now follow them." if created else "You already follow them.")
    return redirect(
        request.POST.get("next") if request.POST.get("next", "").startswith("/rewards/") else "rewards:friends"
    )


@login_required
@require_POST
def unfollow(request, user_id):
    try:
        follows.unfollow(request.user, user_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You no longer follow them.")
    return redirect("rewards:friends")


def learner_profile(request, user_id):
    learner = User.objects.filter(pk=user_id, is_active=True).first()
    if learner is None:
        raise Http404("No such learner.")
    data = selectors.public_profile(learner, viewer=request.user)
    return render(request, "rewards/profile.html", data)
