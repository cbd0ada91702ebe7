from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("payments/", views.payment_history, name="payment_history"),
    path("payments/<uuid:pk>/", views.payment_status, name="payment_status"),
    path("payments/<uuid:pk>/retry/", views.payment_retry, name="payment_retry"),
    path("payments/<uuid:pk>/receipt/", views.receipt, name="receipt"),
]
