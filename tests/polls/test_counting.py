"""Counting on hand-worked examples: the Borda count and stakeholder weights."""

import pytest

from polls import counting

SPEC_RANK = [
    {
        "id": "1",
        "text": "Rank",
        "kind": "ranking",
        "max": None,
        "options": ["X", "Y", "Z"],
    }
]
SPEC_ONE = [
    {"id": "1", "text": "Pick", "kind": "single", "max": None, "options": ["A", "B"]}
]


def test_borda_count_by_hand():
    # Three options: first place 2 points, second 1, third 0.
    # [X,Y,Z] -> X2 Y1; [Y,X,Z] -> Y2 X1; [X,Z,Y] -> X2 Z1; [Z] -> Z2 (partial).
    ballots = [
        {"choices": {"1": [0, 1, 2]}},
        {"choices": {"1": [1, 0, 2]}},
        {"choices": {"1": [0, 2, 1]}},
        {"choices": {"1": [2]}},
    ]
    result = counting.present(SPEC_RANK, counting.recount(SPEC_RANK, ballots))
    options = result["questions"][0]["options"]
    assert [o["count"] for o in options] == [5, 3, 3]
    assert [o["percent"] for o in options] == [45.5, 27.3, 27.3]  # of 11 points


def test_ranks_become_an_ordered_ballot():
    assert counting.validate_choices(SPEC_RANK, {"1": ["2", "", "1"]}) == {"1": [2, 0]}
    with pytest.raises(counting.ChoiceError, match="different rank"):
        counting.validate_choices(SPEC_RANK, {"1": ["1", "1", ""]})
    with pytest.raises(counting.ChoiceError, match="rank at least one"):
        counting.validate_choices(SPEC_RANK, {"1": ["", "", ""]})


def test_weighted_result_by_hand():
    # Residents (50 %): A, A, B.  Business (50 %): B.
    # Raw: A 2/4 = 50 %, B 50 %.
    # Weighted: A = .5 * 2/3 + .5 * 0 = 33.3 %; B = .5 * 1/3 + .5 * 1 = 66.7 %.
    ballots = [
        {"choices": {"1": [0]}, "segment": {"stakeholder_group": "resident"}},
        {"choices": {"1": [0]}, "segment": {"stakeholder_group": "resident"}},
        {"choices": {"1": [1]}, "segment": {"stakeholder_group": "resident"}},
        {"choices": {"1": [1]}, "segment": {"stakeholder_group": "business"}},
    ]
    result = counting.present(
        SPEC_ONE,
        counting.recount(SPEC_ONE, ballots),
        weights={"resident": 50, "business": 50},
    )
    options = result["questions"][0]["options"]
    assert [o["percent"] for o in options] == [50.0, 50.0]
    assert [o["weighted_percent"] for o in options] == [33.3, 66.7]


def test_weights_of_groups_without_voters_are_shared_out():
    # Five groups at 20 % (Leuven); only residents voted: weighted = raw.
    ballots = [{"choices": {"1": [0]}, "segment": {"stakeholder_group": "resident"}}]
    weights = dict.fromkeys(
        ["resident", "business", "academia", "civil_society", "government"], 20
    )
    result = counting.present(
        SPEC_ONE, counting.recount(SPEC_ONE, ballots), weights=weights
    )
    assert result["questions"][0]["options"][0]["weighted_percent"] == 100.0


def test_small_groups_are_not_shown_apart():
    ballots = [{"choices": {"1": [0]}, "segment": {"district": "North"}}] * 5 + [
        {"choices": {"1": [1]}, "segment": {"district": "Tiny"}}
    ]
    result = counting.present(
        SPEC_ONE, counting.recount(SPEC_ONE, ballots), privacy_minimum=5
    )
    district = result["questions"][0]["breakdowns"]["district"]
    assert [g["value"] for g in district["groups"]] == ["North"]
    assert district["voters_not_shown"] == 1


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("single", {"1": ["0", "1"]}, "only one"),
        ("single", {"1": []}, "choose an option"),
        ("single", {"1": ["7"]}, "not one of the options"),
        ("multiple", {"1": ["0", "1", "2"]}, "at most 2"),
    ],
)
def test_invalid_choices_say_what_is_wrong(kind, raw, message):
    spec = [
        {"id": "1", "text": "q", "kind": kind, "max": 2, "options": ["a", "b", "c"]}
    ]
    with pytest.raises(counting.ChoiceError, match=message):
        counting.validate_choices(spec, raw)
