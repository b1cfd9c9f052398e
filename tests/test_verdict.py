import pytest

from assistant.judge.verdict_model import apply_policy, is_hedged, years

LAW = "Im Jahr 2023 verabschiedete der US-Kongress eine Gesetzesergänzung."
HEDGED = "Ohne die NATO könnte Washington vermutlich seine Präsenz nicht aufrechterhalten."


@pytest.mark.parametrize(
    ("statement", "verdict", "evidence", "expected"),
    [
        ("Congress passed a law in 2023.", "supported", [LAW], "supported"),
        ("Congress passed a law in 2021.", "supported", [LAW], "refuted"),
        ("Congress passed a law in 2021.", "refuted", [LAW], "refuted"),
        ("Congress passed a law.", "supported", [], "not_enough_info"),
        ("Congress passed a law.", "refuted", [], "not_enough_info"),
        ("Rutte was Dutch prime minister.", "not_enough_info", [], "not_enough_info"),
        ("Washington cannot keep its presence without NATO.", "supported", [HEDGED], "not_enough_info"),
        ("Washington could probably not keep its presence.", "supported", [HEDGED], "supported"),
        ("Washington cannot keep its presence.", "supported", [HEDGED, LAW], "supported"),
        ("Washington cannot keep its presence.", "refuted", [HEDGED], "refuted"),
    ],
)
def test_policy(statement, verdict, evidence, expected):
    outcome = apply_policy(statement, verdict, evidence)
    assert outcome.verdict == expected
    assert (outcome.note is None) == (expected == verdict)


def test_helpers():
    assert is_hedged("Es könnte regnen") and is_hedged("It might rain") and not is_hedged("Es würde regnen")
    assert years("Von 1949 bis 2023, nicht 12345 oder 999") == {"1949", "2023"}
