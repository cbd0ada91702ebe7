from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"
    verbose_name = "Rewards"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from accounts.interface import User, grant_to_group
        from marketplace.interface import course_completed, course_refunded, lesson_completed

        from . import observability, receivers

        observability.register()

        lesson_completed.connect(receivers.lesson_completed, dispatch_uid="rewards.lesson_completed")
        course_completed.connect(receivers.course_completed, dispatch_uid="rewards.course_completed")
        course_refunded.connect(receivers.course_refunded, dispatch_uid="rewards.course_refunded")
        post_save.connect(receivers.user_saved, sender=User, dispatch_uid="rewards.user_saved")
        user_logged_in.connect(receivers.user_logged_in, dispatch_uid="rewards.user_logged_in")
        # The Rewards group runs the programme: rules, shop items, corrections (accounts/permission_table.py).
        grant_to_group(
            "Rewards",
            [
                "rewards.view_earningrule",
                "rewards.change_earningrule",
                "rewards.view_tokenboost",
                "rewards.change_tokenboost",
                "rewards.view_program",
                "rewards.change_program",
                "rewards.view_shopitem",
                "rewards.add_shopitem",
                "rewards.change_shopitem",
                "rewards.view_tokenbalance",
                "rewards.view_tokenentry",
                "rewards.add_tokenentry",
                "rewards.view_redemption",
                "rewards.view_streak",
                "rewards.view_leagueweek",
                "rewards.change_leagueweek",
                "rewards.view_leaguegroup",
                "rewards.view_leaguemember",
            ],
        )
        grant_to_group("Support", ["rewards.view_tokenbalance", "rewards.view_tokenentry", "rewards.view_redemption"])
        grant_to_group("Finance", ["rewards.view_tokenentry"])
