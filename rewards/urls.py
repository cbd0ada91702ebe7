from django.urls import path

from . import views

app_name = "rewards"

urlpatterns = [
    path("rewards/", views.wallet, name="wallet"),
    path("rewards/league/", views.league, name="league"),
    path("rewards/shop/", views.shop_page, name="shop"),
    path("rewards/shop/<int:item_id>/redeem/", views.redeem, name="redeem"),
    path("rewards/friends/", views.friends, name="friends"),
    path("rewards/friends/follow/", views.follow, name="follow"),
    path("rewards/friends/<int:user_id>/unfollow/", views.unfollow, name="unfollow"),
    path("rewards/learners/<int:user_id>/", views.learner_profile, name="profile"),
]
