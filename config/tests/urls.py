"""Test-only endpoints mounted next to the real ones (tests select it with settings.ROOT_URLCONF)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from config.errors import ConflictError
from config.urls import urlpatterns as real_urlpatterns


class Crash(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        raise RuntimeError("boom: a bug in an API view")


def plain_django_crash(request):
    raise RuntimeError("boom: a bug in a plain Django view under /api/")


def plain_django_forbidden(request):
    raise PermissionDenied


def plain_django_not_found(request):
    raise Http404("no such thing")


@require_POST
def plain_django_post_only(request):
    return HttpResponse("ok")


def plain_html_page(request):
    return HttpResponse("<h1>hello</h1>")


class Ping(APIView):
    """Anonymous callers allowed, so throttling is what limits them."""

    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response({"pong": True})


class StaffOnly(APIView):
    permission_classes = [permissions.IsAdminUser]

    def get(self, request):
        return Response({})


class Conflict(APIView):
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        raise ConflictError("Already done.", fields={"thing": ["Taken."]})


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField(min_value=1)
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)

    def validate(self, attrs):
        if attrs["name"] == "both":
            raise serializers.ValidationError("Name and count disagree.")
        return attrs


class Validate(APIView):
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        serializer = ItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class UserListSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email"]


class Users(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    queryset = User.objects.order_by("pk")
    serializer_class = UserListSerializer


urlpatterns = [
    path("api/v1/test/crash/", Crash.as_view()),
    path("api/v1/test/plain-crash/", plain_django_crash),
    path("api/v1/test/plain-forbidden/", plain_django_forbidden),
    path("api/v1/test/plain-html/", plain_html_page),
    path("api/v1/test/plain-not-found/", plain_django_not_found),
    path("api/v1/test/plain-post-only/", plain_django_post_only),
    path("api/v1/test/ping/", Ping.as_view()),
    path("api/v1/test/staff/", StaffOnly.as_view()),
    path("api/v1/test/conflict/", Conflict.as_view()),
    path("api/v1/test/validate/", Validate.as_view()),
    path("api/v1/test/users/", Users.as_view()),
    path("test/crash/", plain_django_crash),
    *real_urlpatterns,
]
