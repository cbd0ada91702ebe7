from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("support/", views.help_page, name="help"),
    path("support/tickets/new/", views.new_ticket, name="new_ticket"),
    path("support/tickets/<int:ticket_id>/", views.ticket_page, name="ticket"),
    path("support/tickets/<int:ticket_id>/reply/", views.reply, name="reply"),
    path("support/tickets/<int:ticket_id>/update/", views.update, name="update"),
]
