from django.urls import path

from . import renewal, usage, views

urlpatterns = [
    path("licences/activate/", views.ActivateView.as_view(), name="licence-activate"),
    path("licences/validate/", views.ValidateView.as_view(), name="licence-validate"),
    path("licences/activations/<int:activation_id>/", views.ActivationView.as_view(), name="licence-activation"),
    path("orgs/<slug:slug>/seats/", views.SeatListView.as_view(), name="org-seats"),
    path("orgs/<slug:slug>/seats/<int:seat_id>/", views.SeatView.as_view(), name="org-seat"),
    path("orgs/<slug:slug>/usage/", usage.UsageView.as_view(), name="org-usage"),
    path("orgs/<slug:slug>/renewal/", renewal.RenewalView.as_view(), name="org-renewal"),
    path("orgs/<slug:slug>/renewal/seats/", renewal.RenewalSeatsView.as_view(), name="org-renewal-seats"),
]
