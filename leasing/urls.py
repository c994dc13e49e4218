from django.urls import path

from . import views

app_name = "leasing"
urlpatterns = [
    path("owner/", views.owner_dashboard, name="owner_dashboard"),
    path("exporter/", views.exporter_dashboard, name="exporter_dashboard"),
    path("listings/<int:pk>/request/", views.lease_request, name="lease_request"),
    path("leases/<int:pk>/", views.lease_detail, name="lease_detail"),
    path("leases/<int:pk>/accept/", views.lease_accept, name="lease_accept"),
    path("leases/<int:pk>/decline/", views.lease_decline, name="lease_decline"),
    path("leases/<int:pk>/withdraw/", views.lease_withdraw, name="lease_withdraw"),
    path("leases/<int:pk>/confirm/", views.lease_confirm, name="lease_confirm"),
    path("leases/<int:pk>/pay/", views.lease_pay, name="lease_pay"),
    path("leases/<int:pk>/shipments/new/", views.shipment_create, name="shipment_create"),
    path("shipments/<int:pk>/mark/", views.shipment_mark, name="shipment_mark"),
    path("shipments/<int:pk>/checkin/", views.checkin_create, name="checkin_create"),
    path("leases/<int:pk>/cancel/", views.lease_cancel, name="lease_cancel"),
    path("leases/<int:pk>/extend/", views.lease_extend, name="lease_extend"),
    path("leases/<int:pk>/transfer/", views.transfer_create, name="transfer_create"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/accept/", views.transfer_accept, name="transfer_accept"),
    path("transfers/<int:pk>/consent/", views.transfer_consent, name="transfer_consent"),
    path("transfers/<int:pk>/withdraw/", views.transfer_withdraw, name="transfer_withdraw"),
]
