"""Every language the site offers is whole: each string of Agora's own code is
translated, none is fuzzy, plurals have all their forms, placeholders match, and the
catalogues are current with the source (a newly marked string fails here until it is
translated). How to fix a failure: docs/translating.md."""

import gettext
import os
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

BASE_DIR = Path(settings.BASE_DIR)
DOMAINS = ("django", "djangojs")
# What `make messages` leaves out (Makefile MESSAGES_IGNORE): not Agora's runtime text.
NOT_SOURCE = {
    ".git",
    ".venv",
    "var",
    "staticfiles",
    "build",
    "tests",
    "bench",
    "docs",
    "locale",
}
TRANSLATED = [
    code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
]


def catalogue(language: str, domain: str, root: Path = BASE_DIR) -> Catalog:
    path = root / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as po:
        return read_po(po, locale=language, abort_invalid=True)


def msgids(catalog: Catalog) -> set[tuple[str | None, object]]:
    return {(message.context, message.id) for message in catalog if message.id}


def test_the_switcher_offers_only_languages_with_a_catalogue():
    assert settings.LANGUAGE_CODE == "en"
    assert {"es", "ru"} <= set(TRANSLATED)
    for language in TRANSLATED:
        for domain in DOMAINS:
            assert (
                BASE_DIR / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
            ).exists()


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_string_is_translated_and_none_is_fuzzy(language, domain):
    catalog = catalogue(language, domain)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        name = message.id if isinstance(message.id, str) else message.id[0]
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if message.fuzzy:
            problems.append(f"fuzzy: {name!r}")
        elif not all(strings):
            problems.append(f"untranslated: {name!r}")
        elif message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(
                f"{len(strings)} of {catalog.num_plurals} plural forms: {name!r}"
            )
    # Babel's checkers: python-format placeholders the same in msgid and msgstr.
    for message, errors in catalog.check():
        problems += [f"{error}: {message.id!r}" for error in errors]
    assert not problems, f"{language}/{domain}.po:\n" + "\n".join(problems)


def test_russian_has_its_three_plural_forms():
    catalog = catalogue("ru", "django")
    assert catalog.num_plurals == 3
    # one (1, 21), few (2-4, 22), many (5-20, 25): the CLDR forms for whole numbers
    plural = gettext.c2py(catalog.plural_expr)
    forms = {n: plural(n) for n in (1, 2, 5, 11, 21, 22, 25, 111)}
    assert forms == {1: 0, 2: 1, 5: 2, 11: 2, 21: 0, 22: 1, 25: 2, 111: 2}


def test_the_catalogues_are_current_with_the_source(tmp_path, monkeypatch):
    """Run makemessages over a mirror of the source into a copy of locale/: any msgid
    added to (or gone from) the code shows up as a difference."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        message = "GNU gettext is not installed: `apt-get install gettext`."
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    shutil.copytree(BASE_DIR / "locale", tmp_path / "locale")
    for entry in BASE_DIR.iterdir():
        if (
            entry.name not in NOT_SOURCE
            and not entry.name.startswith(".")
            and not entry.name.endswith(".egg-info")
        ):
            (tmp_path / entry.name).symlink_to(entry)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        for domain in DOMAINS:
            call_command(
                "makemessages",
                all=True,
                domain=domain,
                symlinks=True,
                no_obsolete=True,
                ignore_patterns=["*/vendor/*"],
                verbosity=0,
            )
    for language in TRANSLATED:
        for domain in DOMAINS:
            fresh = msgids(catalogue(language, domain, tmp_path))
            kept = msgids(catalogue(language, domain))
            assert fresh - kept == set(), (
                f"{language}/{domain}.po lacks strings now in the code: run `make "
                f"messages`, translate them ({fresh - kept})"
            )
            assert kept - fresh == set(), (
                f"{language}/{domain}.po has strings no longer in the code: run "
                f"`make messages` ({kept - fresh})"
            )
