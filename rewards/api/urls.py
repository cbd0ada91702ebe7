from django.urls import path

from . import views

urlpatterns = [
    path("rewards/wallet/", views.WalletView.as_view(), name="rewards-wallet"),
    path("rewards/entries/", views.EntryListView.as_view(), name="rewards-entries"),
    path("rewards/streak/", views.StreakView.as_view(), name="rewards-streak"),
    path("rewards/leaderboards/<str:board>/", views.LeaderboardView.as_view(), name="rewards-leaderboard"),
    path("rewards/shop/", views.ShopView.as_view(), name="rewards-shop"),
    path("rewards/shop/<int:pk>/redeem/", views.RedeemView.as_view(), name="rewards-redeem"),
    path("rewards/follows/", views.FollowsView.as_view(), name="rewards-follows"),
    path("rewards/adjustments/", views.AdjustmentView.as_view(), name="rewards-adjustments"),
]
