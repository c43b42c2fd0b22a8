from django.urls import path

from trading import views

urlpatterns = [
    path("", views.home, name="home"),
]
