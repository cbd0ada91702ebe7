from django.urls import path

from . import org_views, views

app_name = "licensing"

urlpatterns = [
    path("enterprise/quote/", views.request_quote, name="request_quote"),
    path("enterprise/quote/sent/", views.quote_requested, name="quote_requested"),
    path("quotes/<str:token>/", views.quote_page, name="quote"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path(".well-known/lyceum-licence-keys.json", views.licence_keys, name="licence_keys"),
    path("orgs/", org_views.my_organisations, name="my_organisations"),
    path("orgs/<slug:slug>/", org_views.overview, name="org_overview"),
    path("orgs/<slug:slug>/members/", org_views.members, name="org_members"),
    path("orgs/<slug:slug>/members/<int:member_id>/role/", org_views.set_role, name="org_set_role"),
    path("orgs/<slug:slug>/domains/", org_views.add_domain, name="org_add_domain"),
    path("orgs/<slug:slug>/seats/", org_views.seats_page, name="org_seats"),
    path("orgs/<slug:slug>/seats/invite/", org_views.invite, name="org_invite"),
    path("orgs/<slug:slug>/seats/import/", org_views.import_csv, name="org_import"),
    path(
        "orgs/<slug:slug>/seats/<int:seat_id>/<str:action>/",
        org_views.seat_action,
        name="org_seat_action",
    ),
    path("orgs/<slug:slug>/billing/", org_views.billing, name="org_billing"),
    path("orgs/<slug:slug>/billing/pay/", org_views.pay, name="org_pay"),
    path("orgs/<slug:slug>/billing/seats/", org_views.seat_change, name="org_seat_change"),
    path("orgs/<slug:slug>/billing/renewal/", org_views.cancel_renewal, name="org_cancel_renewal"),
    path("orgs/<slug:slug>/integrations/", org_views.integrations, name="org_integrations"),
    path("orgs/<slug:slug>/usage/", org_views.usage_page, name="org_usage"),
    path("orgs/<slug:slug>/usage.csv", org_views.usage_csv, name="org_usage_csv"),
    path("orgs/<slug:slug>/integrations/keys/", org_views.create_api_key, name="org_create_api_key"),
    path(
        "orgs/<slug:slug>/integrations/keys/<int:key_id>/revoke/", org_views.revoke_api_key, name="org_revoke_api_key"
    ),
]
