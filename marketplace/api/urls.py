from django.urls import path

from config.sharedcache import shared_cache

from ..caching import catalogue_versions
from . import earnings, reviews, studio, views

# Anonymous GETs are answered from the shared cache until the catalogue changes (marketplace/caching.py).
public = shared_cache(versions=catalogue_versions)

urlpatterns = [
    path("courses/", public(views.CourseListView.as_view()), name="course-list"),
    path("courses/<int:pk>/", public(views.CourseDetailView.as_view()), name="course-detail"),
    path("courses/<int:pk>/purchase/", views.CoursePurchaseView.as_view(), name="course-purchase"),
    path("courses/<int:pk>/submit/", studio.CourseSubmitView.as_view(), name="course-submit"),
    path("enrollments/<int:pk>/refund/", studio.EnrollmentRefundView.as_view(), name="enrollment-refund"),
    path("courses/<int:pk>/reviews/", public(reviews.CourseReviewsView.as_view()), name="course-reviews"),
    path("lessons/<int:pk>/complete/", views.LessonCompleteView.as_view(), name="lesson-complete"),
    path("enrollments/", views.EnrollmentListView.as_view(), name="enrollment-list"),
    path("instructor/earnings/", earnings.EarningsView.as_view(), name="instructor-earnings"),
    path("instructor/sales/", earnings.SalesView.as_view(), name="instructor-sales"),
]
