"""The naive peer's three endpoints: a plain JSON view, the course list, and the list searched with icontains."""

from django.db.models import Q
from django.http import JsonResponse
from django.urls import path
from rest_framework import generics, serializers

from .models import Course


def health(request):
    return JsonResponse({"status": "ok"})


class CourseSerializer(serializers.ModelSerializer):
    instructor = serializers.CharField(source="instructor.display_name")

    class Meta:
        model = Course
        fields = ["id", "slug", "title", "price_amount", "instructor"]


class CourseList(generics.ListAPIView):
    serializer_class = CourseSerializer

    def get_queryset(self):
        courses = Course.objects.filter(status="published").select_related("instructor", "category")
        q = self.request.query_params.get("q", "").strip()
        if q:
            courses = courses.filter(Q(title__icontains=q) | Q(subtitle__icontains=q) | Q(description__icontains=q))
        return courses.order_by("-published_at", "-id")


urlpatterns = [
    path("healthz", health),
    path("api/courses/", CourseList.as_view()),
]
