"""Production settings: refuse to start unconfigured, and pass `check --deploy` clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 20 + "a-real-deployment-key-is-long-and-random-0123456789",
        ALLOWED_HOSTS="agora.example.org",
        AGORA_VAR_DIR=str(tmp_path),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        ALLOWED_HOSTS="agora.example.org",
        AGORA_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = run_manage(
        "check",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="y" * 60,
        AGORA_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_development_keeps_its_own_secret_key_in_var(tmp_path):
    first = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        AGORA_VAR_DIR=str(tmp_path),
    )
    second = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        AGORA_VAR_DIR=str(tmp_path),
    )
    key = first.stdout.strip().splitlines()[-1]
    assert len(key) >= 50
    assert second.stdout.strip().splitlines()[-1] == key
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_embedded_sqlite_uses_wal_and_immediate_transactions(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]); "
        "print(connection.transaction_mode)",
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        AGORA_VAR_DIR=str(tmp_path),
        DATABASE_URL="",
    )
    lines = result.stdout.strip().splitlines()
    assert lines[-2:] == ["wal", "IMMEDIATE"], result.stdout + result.stderr


def test_any_sqlite_database_url_gets_wal_and_immediate_transactions(tmp_path):
    """DATABASE_URL=sqlite:///path used to skip the embedded default's options, and
    concurrent writers then failed with "database is locked"."""
    code = (
        "import json; from django.conf import settings; "
        "from django.db import connection; "
        "o = settings.DATABASES['default']['OPTIONS']; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "print(json.dumps([o['transaction_mode'], o['timeout'], c.fetchone()[0]]))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'city.sqlite3'}",
        "AGORA_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == '["IMMEDIATE", 20, "wal"]'


def test_the_admin_asks_no_third_party_for_avatars(settings):
    from wagtail.users.utils import get_gravatar_url

    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None
    # None: the admin shows its own default avatar and requests nothing.
    assert get_gravatar_url("someone@example.org") is None
