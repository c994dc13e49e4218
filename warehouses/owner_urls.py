from django.urls import path

app_name = "owner"
urlpatterns: list = []
