from django.urls import path

from . import views

urlpatterns = [
    path("payments/", views.PaymentListView.as_view(), name="payment-list"),
    path("payments/<uuid:pk>/", views.PaymentDetailView.as_view(), name="payment-detail"),
    path("payments/<uuid:pk>/refund/", views.PaymentRefundView.as_view(), name="payment-refund"),
    path("payments/<uuid:pk>/receipt/", views.PaymentReceiptView.as_view(), name="payment-receipt"),
]
