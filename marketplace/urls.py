from django.urls import path

from config.sharedcache import shared_cache

from . import earnings_views, views
from .caching import catalogue_versions

# Anonymous visitors get these pages from the shared cache until the catalogue changes (caching.py).
public = shared_cache(versions=catalogue_versions)

app_name = "marketplace"

urlpatterns = [
    path("courses/", public(views.catalogue), name="catalogue"),
    path("courses/<slug:slug>/", public(views.course_detail), name="course_detail"),
    path("courses/<slug:slug>/buy/", views.buy, name="buy"),
    path("courses/<slug:slug>/start/", views.start, name="start"),
    path("courses/<slug:slug>/learn/", views.learn, name="learn"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/", views.lesson, name="lesson"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/complete/", views.complete_lesson, name="complete_lesson"),
    path("courses/<slug:slug>/review/", views.review_course, name="review_course"),
    path("courses/<slug:slug>/reviews/<int:review_id>/reply/", views.reply_to_review, name="reply_to_review"),
    path("courses/<slug:slug>/certificate/", views.certificate, name="certificate"),
    path("certificates/<str:code>/", views.certificate_verify, name="certificate_verify"),
    path("learning/", views.my_learning, name="my_learning"),
    path("learning/<int:enrollment_id>/refund/", views.request_refund, name="request_refund"),
    path("teach/", views.apply_to_teach, name="apply_to_teach"),
    path("studio/", views.studio, name="studio"),
    path("studio/earnings/", earnings_views.earnings_dashboard, name="studio_earnings"),
    path("studio/earnings/sales.csv", earnings_views.earnings_sales_csv, name="studio_earnings_csv"),
    path("studio/payouts/", earnings_views.payouts_page, name="studio_payouts"),
    path("studio/payouts/onboard/", earnings_views.payouts_onboard, name="studio_payouts_onboard"),
    path("studio/payouts/return/", earnings_views.payouts_return, name="studio_payouts_return"),
    path("studio/payouts/refresh/", earnings_views.payouts_refresh, name="studio_payouts_refresh"),
    path("studio/courses/new/", views.studio_course_new, name="studio_course_new"),
    path("studio/courses/<int:pk>/", views.studio_course, name="studio_course"),
    path("studio/courses/<int:pk>/edit/", views.studio_course_edit, name="studio_course_edit"),
    path("studio/courses/<int:pk>/<str:action>/", views.studio_course_action, name="studio_course_action"),
    path("studio/courses/<int:course_pk>/modules/new/", views.studio_module_form, name="studio_module_new"),
    path("studio/courses/<int:course_pk>/modules/<int:pk>/", views.studio_module_form, name="studio_module_edit"),
    path(
        "studio/courses/<int:course_pk>/modules/<int:module_pk>/lessons/new/",
        views.studio_lesson_form,
        name="studio_lesson_new",
    ),
    path(
        "studio/courses/<int:course_pk>/modules/<int:module_pk>/lessons/<int:pk>/",
        views.studio_lesson_form,
        name="studio_lesson_edit",
    ),
]
