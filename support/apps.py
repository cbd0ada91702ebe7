from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support"

    def ready(self):
        from accounts.interface import grant_to_group

        # Support works the queue (reply, notes, status, assignment) and tunes SLA policies and calendars.
        grant_to_group(
            "Support",
            [
                "support.view_ticket",
                "support.work_ticket",
                "support.view_ticketmessage",
                "support.view_slaclock",
                "support.view_slapolicy",
                "support.change_slapolicy",
                "support.view_slatarget",
                "support.add_slatarget",
                "support.change_slatarget",
                "support.view_businesscalendar",
                "support.change_businesscalendar",
                "support.view_holiday",
                "support.add_holiday",
                "support.change_holiday",
                "support.delete_holiday",
            ],
        )
