from django.urls import path

from . import earnings, reviews, studio, views

urlpatterns = [
    path("courses/", views.CourseListView.as_view(), name="course-list"),
    path("courses/<int:pk>/", views.CourseDetailView.as_view(), name="course-detail"),
    path("courses/<int:pk>/purchase/", views.CoursePurchaseView.as_view(), name="course-purchase"),
    path("courses/<int:pk>/submit/", studio.CourseSubmitView.as_view(), name="course-submit"),
    path("enrollments/<int:pk>/refund/", studio.EnrollmentRefundView.as_view(), name="enrollment-refund"),
    path("courses/<int:pk>/reviews/", reviews.CourseReviewsView.as_view(), name="course-reviews"),
    path("lessons/<int:pk>/complete/", views.LessonCompleteView.as_view(), name="lesson-complete"),
    path("enrollments/", views.EnrollmentListView.as_view(), name="enrollment-list"),
    path("instructor/earnings/", earnings.EarningsView.as_view(), name="instructor-earnings"),
    path("instructor/sales/", earnings.SalesView.as_view(), name="instructor-sales"),
]
