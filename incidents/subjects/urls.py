"""Subject-notification pages, included in ``incidents.urls`` (namespace ``incidents``)."""

from django.urls import path

from incidents.subjects import views

urlpatterns = [
    path("<int:pk>/subjects/", views.SubjectsView.as_view(), name="incident-subjects"),
    path("<int:pk>/subjects/import/", views.SubjectImportView.as_view(), name="incident-subjects-import"),
    path("<int:pk>/subjects/notify/", views.SubjectNotifyView.as_view(), name="incident-subjects-notify"),
]
