"""The demo city's page tree: a home page at the root of the default site."""

from django.conf import settings
from wagtail.models import Page, Site

from .models import HomePage

DEMO_INTRO = (
    "<p>Welcome to Agora, where the city asks and residents answer: propose "
    "ideas, support the ones you like, discuss them with your neighbours, and "
    "see what the city decided and why.</p>"
)


def seed_home() -> tuple[HomePage, bool]:
    """Make a HomePage the root of the default site, replacing Wagtail's welcome page."""
    existing = HomePage.objects.first()
    if existing is not None:
        return existing, False
    root = Page.get_first_root_node()
    home = root.add_child(
        instance=HomePage(
            title=settings.WAGTAIL_SITE_NAME,
            slug="home-agora",
            tagline="Shape the city you live in.",
            intro=DEMO_INTRO,
        )
    )
    site = Site.objects.filter(is_default_site=True).first()
    welcome = site.root_page if site else None
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True)
    site.root_page = home
    site.site_name = settings.WAGTAIL_SITE_NAME
    site.save()
    if welcome is not None and welcome.specific_class is Page and welcome.depth == 2:
        welcome.delete()
    # The slug only has to be unique among siblings; give the home page the usual one.
    home.slug = "home"
    home.save_revision().publish()
    return HomePage.objects.get(pk=home.pk), True
