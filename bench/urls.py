"""The site's URLs plus a reference view that calibrates the machine in the same run.

Issue 6 sets the catalogue target relative to "a bare DRF paginated list": that is this view, served by the
same process, middleware, pagination and settings, with no joins, no nested fields and no URLs to build.
Only the benchmark's settings (bench/settings.py) route to it; the site itself never does.
"""

from django.urls import path
from rest_framework import generics, permissions, serializers

from config.urls import urlpatterns as site_urlpatterns
from marketplace.models import Course


class BareCourseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "slug", "title", "price_amount", "currency"]
        read_only_fields = fields


class BareCourseList(generics.ListAPIView):
    permission_classes = [permissions.AllowAny]
    serializer_class = BareCourseSerializer
    filter_backends: list = []
    queryset = Course.objects.filter(status=Course.Status.PUBLISHED).order_by("-published_at", "-id")


urlpatterns = [path("api/bench/bare-list/", BareCourseList.as_view()), *site_urlpatterns]
