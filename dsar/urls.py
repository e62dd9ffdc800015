from dsar.package.urls import urlpatterns as package_urls

app_name = "dsar"

urlpatterns = [
    *package_urls,
]
