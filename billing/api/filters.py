import django_filters

from config.filters import UTCIsoDateTimeFilter

from ..models import Payment


class PaymentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Payment.Status.choices)
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    purpose = django_filters.CharFilter()

    class Meta:
        model = Payment
        fields = ["status", "purpose", "created_after", "created_before"]
