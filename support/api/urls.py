from django.urls import path

from . import views

urlpatterns = [
    path("support/tickets/", views.TicketListView.as_view(), name="support-tickets"),
    path("support/tickets/<int:ticket_id>/", views.TicketView.as_view(), name="support-ticket"),
    path("support/tickets/<int:ticket_id>/replies/", views.ReplyView.as_view(), name="support-ticket-replies"),
]
