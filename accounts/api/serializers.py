from rest_framework import serializers

from ..models import User


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "name", "timezone", "roles", "date_joined"]
        read_only_fields = fields

    def get_roles(self, user: User) -> list[str]:
        roles = ["learner"]
        if user.is_instructor:
            roles.append("instructor")
        if user.is_staff:
            roles.append("staff")
        return roles
