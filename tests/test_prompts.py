import pytest

from assistant.errors import ConfigError
from assistant.prompts_loader import load_prompt


def test_prompts_load_from_package_data():
    p = load_prompt("check.v1")
    assert p.id == "check.v1"
    system, user = p.render(claim="C", sentences=[{"number": 1, "text": "S"}])
    assert "[1] S" in user and "CLAIM: C" in user
    assert "{{" not in system + user


def test_missing_variable_is_an_error():
    with pytest.raises(ConfigError, match="undefined"):
        load_prompt("check.v1").render(claim="only the claim")


def test_unknown_prompt():
    with pytest.raises(ConfigError, match="no prompt template"):
        load_prompt("check.v999")
