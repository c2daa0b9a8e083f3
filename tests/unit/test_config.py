"""Settings: defaults, TOML, KIOSK_* variables, and one clear line for a bad value."""

import pytest

from kiosk import config


def test_defaults_are_the_embedded_demo():
    s = config.load(environ={})
    assert s["database"].startswith("sqlite:///")
    assert s["label_printer"].startswith("file://")
    assert s["state_system"] == "metrc"


def test_the_store_time_zone_is_a_setting():
    assert config.load(environ={})["timezone"] == "America/Los_Angeles"  # the demo store's
    assert config.load(environ={"KIOSK_TIMEZONE": " America/Denver"})["timezone"] == \
        "America/Denver"


def test_environment_overrides_toml(tmp_path):
    toml = tmp_path / "kiosk.toml"
    toml.write_text('station = "vault-1"\nlabel_dpi = 300\n')
    s = config.load(environ={"KIOSK_SETTINGS": str(toml), "KIOSK_STATION": "vault-2"})
    assert s["station"] == "vault-2" and s["label_dpi"] == 300


@pytest.mark.parametrize("env,needle", [
    ({"KIOSK_LABEL_PRINTER": "10.0.0.5"}, "KIOSK_LABEL_PRINTER"),
    ({"KIOSK_DATABASE": "mysql://x"}, "KIOSK_DATABASE"),
    ({"KIOSK_IDLE_SECONDS": "soon"}, "KIOSK_IDLE_SECONDS must be a whole number"),
    ({"KIOSK_STATE_SYSTEM": "leaf"}, "KIOSK_STATE_SYSTEM must be one of"),
    ({"KIOSK_TRAINING": "maybe"}, "KIOSK_TRAINING must be true or false"),
    ({"KIOSK_POS": "ftp://pos"}, "KIOSK_POS"),
    ({"KIOSK_TIMEZONE": "Pacific Time"}, "KIOSK_TIMEZONE: 'Pacific Time' is not a time zone"),
])
def test_bad_settings_name_the_setting(env, needle):
    with pytest.raises(config.ConfigError) as err:
        config.load(environ=env)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_toml_key_is_refused(tmp_path):
    toml = tmp_path / "kiosk.toml"
    toml.write_text('colour = "green"\n')
    with pytest.raises(config.ConfigError, match="unknown setting 'colour'"):
        config.load(environ={"KIOSK_SETTINGS": str(toml)})
