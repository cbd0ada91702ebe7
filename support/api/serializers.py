from rest_framework import serializers

from ..models import Priority, Ticket, TicketMessage


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.name")
    from_support = serializers.BooleanField(source="from_staff")

    class Meta:
        model = TicketMessage
        fields = ["id", "author", "from_support", "body", "created_at"]


class SLASerializer(serializers.Serializer):
    kind = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True, help_text="Null while paused (waiting on you) or once met.")
    met_at = serializers.DateTimeField(allow_null=True)
    breached = serializers.BooleanField()


class TicketSerializer(serializers.ModelSerializer):
    reference = serializers.CharField()
    requester = serializers.EmailField(source="requester.email")
    organisation = serializers.CharField(source="organisation.slug", allow_null=True, default=None)

    class Meta:
        model = Ticket
        fields = ["id", "reference", "subject", "priority", "status", "requester", "organisation", "rating",
                  "rating_comment", "created_at", "updated_at", "solved_at"]  # fmt: skip


class TicketDetailSerializer(TicketSerializer):
    messages = MessageSerializer(many=True, source="public_messages")
    sla = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "messages", "sla"]

    def get_sla(self, ticket) -> list[dict]:
        return [
            {"kind": c.kind, "due_at": c.due_at, "met_at": c.met_at, "breached": c.breached_at is not None}
            for c in ticket.clocks.all()
        ]


class TicketCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10_000)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)


# What a customer may set: mark solved, or reopen (named in the schema as TicketUpdateStatusEnum).
CUSTOMER_STATUS_CHOICES = [("solved", "Solved"), ("open", "Open")]


class TicketUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=CUSTOMER_STATUS_CHOICES, required=False, help_text="Mark solved, or reopen."
    )
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    rating_comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def validate(self, data):
        if not data:
            raise serializers.ValidationError("Send a status or a rating.")
        return data


class ReplyCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10_000)
