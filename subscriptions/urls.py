from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("subscriptions/subscribe/", views.subscribe, name="subscribe"),
    path("subscriptions/manage/", views.manage, name="manage"),
    path("subscriptions/change/", views.change_preview, name="change_preview"),
    path("subscriptions/change/confirm/", views.change_confirm, name="change_confirm"),
    path("subscriptions/cancel/", views.cancel, name="cancel"),
    path("subscriptions/resume/", views.resume, name="resume"),
    path("subscriptions/card/", views.update_card, name="update_card"),
    path("subscriptions/card/updated/", views.card_updated, name="card_updated"),
]
