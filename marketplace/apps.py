from django.contrib.admin.apps import AdminConfig


class WareshareAdminConfig(AdminConfig):
    default_site = "marketplace.admin_site.WareshareAdminSite"
