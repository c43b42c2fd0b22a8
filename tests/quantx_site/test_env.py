import pytest
from django.core.exceptions import ImproperlyConfigured

from quantx_site.env import env_bool, env_int, env_list


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("off", False), ("", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("QX_FLAG", raw)
    assert env_bool("QX_FLAG") is expected


def test_env_bool_fails_loudly_on_a_typo(monkeypatch):
    monkeypatch.setenv("QX_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="QX_FLAG"):
        env_bool("QX_FLAG")


def test_env_int_fails_loudly_on_garbage_and_below_minimum(monkeypatch):
    monkeypatch.setenv("QX_N", "ten")
    with pytest.raises(ImproperlyConfigured):
        env_int("QX_N", 1)
    monkeypatch.setenv("QX_N", "0")
    with pytest.raises(ImproperlyConfigured):
        env_int("QX_N", 1, minimum=1)


def test_env_defaults_apply_when_unset(monkeypatch):
    monkeypatch.delenv("QX_UNSET", raising=False)
    assert env_int("QX_UNSET", 7) == 7
    assert env_list("QX_UNSET", ["a"]) == ["a"]


def test_a_non_postgres_database_url_is_refused(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "quantx_site.settings",
            "DATABASE_URL": "mysql://x/y",
            "QX_VAR_DIR": str(tmp_path),
            "PATH": "",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be a postgres" in result.stderr
