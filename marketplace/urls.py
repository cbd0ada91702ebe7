from django.urls import path

from . import views

app_name = "marketplace"

urlpatterns = [
    path("courses/", views.catalogue, name="catalogue"),
    path("courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("courses/<slug:slug>/buy/", views.buy, name="buy"),
    path("courses/<slug:slug>/start/", views.start, name="start"),
    path("courses/<slug:slug>/learn/", views.learn, name="learn"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/", views.lesson, name="lesson"),
    path("courses/<slug:slug>/lessons/<int:lesson_id>/complete/", views.complete_lesson, name="complete_lesson"),
    path("learning/", views.my_learning, name="my_learning"),
    path("teach/", views.apply_to_teach, name="apply_to_teach"),
    path("studio/", views.studio, name="studio"),
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
