"""Any change to a user's entitlements (services, admin, shell) drops that user's cached access."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import access
from .models import Entitlement, Feature, Tier, TierFeature


def _drop(user_id) -> None:
    access.invalidate(user_id)
    # Again after commit: a reader between the change and the commit may have cached the old rows.
    transaction.on_commit(lambda: access.invalidate(user_id))


@receiver(post_save, sender=Entitlement)
@receiver(post_delete, sender=Entitlement)
def entitlement_changed(sender, instance, **kwargs):
    _drop(instance.user_id)


@receiver(post_save, sender=TierFeature)
@receiver(post_delete, sender=TierFeature)
@receiver(post_save, sender=Tier)
@receiver(post_delete, sender=Feature)
@receiver(post_save, sender=Feature)
def catalog_changed(sender, **kwargs):
    access.invalidate_all()
    transaction.on_commit(access.invalidate_all)


@receiver(m2m_changed, sender=Tier.features.through)
def tier_features_changed(sender, **kwargs):
    catalog_changed(sender)
