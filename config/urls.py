"""URL configuration: Agora's own pages, accounts, the Wagtail admin, then the page tree."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from home import brand_views
from home import views as home_views
from ideas.urls import api_urlpatterns as ideas_api_urls
from polls.api import api_urlpatterns as polls_api_urls
from polls.views import event_entry
from search import views as search_views

# allauth answers its own limits (sign-up, password reset, e-mail) through this.
handler429 = "accounts.views.too_many_requests"
# A burst that exhausts the database pool answers 503 with Retry-After (home/views.py).
handler500 = "home.views.server_error"
CATALOGUES_LOADED = timezone.now()

urlpatterns = [
    path("healthz", home_views.healthz, name="healthz"),
    path("brand.css", brand_views.brand_css, name="brand_css"),
    path("favicon.ico", brand_views.favicon, name="favicon"),
    path("healthz/ready", home_views.ready, name="ready"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/language/", home_views.switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # gettext() for site/static/js: the djangojs catalogue of LOCALE_PATHS only
    # ("home" has no locale/ of its own; Wagtail's admin strings stay out), served
    # as a same-origin script (CSP-safe). Catalogues change only with a deploy.
    path(
        "jsi18n/",
        last_modified(lambda request, **kwargs: CATALOGUES_LOADED)(
            JavaScriptCatalog.as_view(packages=["home"])
        ),
        name="javascript-catalog",
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("search/", search_views.site_search, name="search"),
    path("moderation/", include("moderation.urls")),
    path("discussions/", include("forums.urls")),
    path("ideas/", include("ideas.urls")),
    path("budgets/", include("budgets.urls")),
    path("insights/", include("insights.urls")),
    path("polls/", include("polls.urls")),
    # The short address people type from the wall at an event vote.
    path("vote/", event_entry, name="vote"),
    path("api/", include((ideas_api_urls + polls_api_urls, "api"))),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The page tree (home page, and later campaigns and forums) comes last so that
# it does not shadow the routes above.
urlpatterns += [path("", include(wagtail_urls))]
