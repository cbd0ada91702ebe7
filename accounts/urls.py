from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/api-keys/", views.create_api_key, name="create_api_key"),
    path("profile/api-keys/<int:key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("delete/", views.delete_account, name="delete"),
]
