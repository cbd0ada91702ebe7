from django.urls import path

from . import views

urlpatterns = [
    path("courses/", views.CourseListView.as_view(), name="course-list"),
    path("courses/<int:pk>/", views.CourseDetailView.as_view(), name="course-detail"),
    path("courses/<int:pk>/purchase/", views.CoursePurchaseView.as_view(), name="course-purchase"),
    path("lessons/<int:pk>/complete/", views.LessonCompleteView.as_view(), name="lesson-complete"),
    path("enrollments/", views.EnrollmentListView.as_view(), name="enrollment-list"),
]
