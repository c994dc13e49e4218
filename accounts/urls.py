from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("new/", views.organisation_create, name="organisation_create"),
    path("switch/", views.organisation_switch, name="organisation_switch"),
    path("members/", views.members, name="members"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
