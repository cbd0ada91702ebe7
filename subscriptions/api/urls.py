from django.urls import path

from . import views

urlpatterns = [
    path("subscriptions/", views.SubscriptionStartView.as_view(), name="subscription-start"),
    path("subscriptions/tiers/", views.TierListView.as_view(), name="subscription-tiers"),
    path("subscriptions/current/", views.CurrentView.as_view(), name="subscription-current"),
    path("subscriptions/current/preview-change/", views.PreviewChangeView.as_view(), name="subscription-preview"),
    path("subscriptions/current/cancel/", views.CancelView.as_view(), name="subscription-cancel"),
    path("subscriptions/current/resume/", views.ResumeView.as_view(), name="subscription-resume"),
    path("me/features/", views.MyFeaturesView.as_view(), name="my-features"),
]
