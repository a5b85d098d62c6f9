"""The command line for data that did not come through the site."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

DATA = Path(__file__).resolve().parent / "data"


def test_analyse_texts_writes_the_documented_json(tmp_path):
    out = tmp_path / "out.json"
    call_command(
        "analyse_texts",
        str(DATA / "uk-petitions-sample.csv"),
        "--text-column",
        "text",
        "--id-column",
        "id",
        "--clusters",
        "8",
        "--out",
        str(out),
    )
    result = json.loads(out.read_text())
    assert set(result) == {"clusters", "assignments", "duplicates"}
    assert len(result["clusters"]) == 8
    ids = {line.split(",")[0] for line in (DATA / "uk-petitions-sample.csv").open()}
    for cluster in result["clusters"]:
        assert set(cluster) >= {"id", "label", "keywords", "size", "members", "summary"}
        assert cluster["size"] == len(cluster["members"])
        for line in cluster["summary"]:
            # Every summary line leads back to ideas of this cluster.
            assert line["idea_ids"] and set(line["idea_ids"]) <= set(cluster["members"])
    assert set(result["assignments"]) <= ids
    assert sum(c["size"] for c in result["clusters"]) == len(result["assignments"])


def test_analyse_votes_reads_a_polis_export(tmp_path):
    out = tmp_path / "groups.json"
    folder = DATA / "bg2050-volunteers"
    call_command(
        "analyse_votes",
        "--comments",
        str(folder / "comments.csv"),
        "--participants-votes",
        str(folder / "participants-votes.csv"),
        "--out",
        str(out),
    )
    result = json.loads(out.read_text())
    assert set(result) == {
        "groups",
        "participants",
        "consensus",
        "divisive",
        "stability",
        "min_votes",
        "warm_start",
    }
    assert len(result["groups"]) >= 2
    assert sum(g["size"] for g in result["groups"]) == len(result["participants"])
    group_ids = {g["id"] for g in result["groups"]}
    assert set(result["participants"].values()) <= group_ids
    assert result["warm_start"] is False


def test_analyse_votes_starts_from_a_previous_result(tmp_path):
    # Yesterday's groups with their ids swapped: today's run keeps yesterday's
    # names (group 0 stays group 0) and reports that it started from them.
    folder = DATA / "bg2050-volunteers"
    args = [
        "analyse_votes",
        "--comments",
        str(folder / "comments.csv"),
        "--participants-votes",
        str(folder / "participants-votes.csv"),
    ]
    call_command(*args, "--out", str(tmp_path / "cold.json"))
    cold = json.loads((tmp_path / "cold.json").read_text())
    swapped = {p: 1 - g for p, g in cold["participants"].items()}
    (tmp_path / "before.json").write_text(json.dumps({"participants": swapped}))
    call_command(
        *args,
        "--previous",
        str(tmp_path / "before.json"),
        "--out",
        str(tmp_path / "warm.json"),
    )
    warm = json.loads((tmp_path / "warm.json").read_text())
    assert warm["warm_start"] is True
    assert warm["participants"] == swapped

    (tmp_path / "bad.json").write_text('{"groups": []}')
    with pytest.raises(CommandError, match='no "participants" map'):
        call_command(
            *args,
            "--previous",
            str(tmp_path / "bad.json"),
            "--out",
            str(tmp_path / "x"),
        )
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("title,body\nA,\n", "no row has any text"),
        ("title,notes\nA,b\n", "there is no column 'body'"),
        ("", "there is no column 'body'"),
    ],
)
def test_analyse_texts_explains_bad_files(tmp_path, content, message):
    source = tmp_path / "in.csv"
    source.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command(
            "analyse_texts",
            str(source),
            "--text-column",
            "body",
            "--out",
            str(tmp_path / "o"),
        )


def test_analyse_texts_refuses_duplicate_ids_and_non_utf8(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("id,body\n1,a bench\n1,a tree\n")
    with pytest.raises(CommandError, match="appears twice"):
        call_command(
            "analyse_texts",
            str(dup),
            "--text-column",
            "body",
            "--id-column",
            "id",
            "--out",
            str(tmp_path / "o"),
        )
    latin = tmp_path / "latin.csv"
    latin.write_bytes("body\nÉcole à Paris\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command(
            "analyse_texts",
            str(latin),
            "--text-column",
            "body",
            "--out",
            str(tmp_path / "o"),
        )
    with pytest.raises(CommandError, match="no such file"):
        call_command(
            "analyse_texts",
            str(tmp_path / "missing.csv"),
            "--text-column",
            "b",
            "--out",
            "x",
        )


def test_analyse_votes_explains_a_file_in_the_wrong_format(tmp_path):
    comments = tmp_path / "comments.csv"
    comments.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="Pol.is export format"):
        call_command(
            "analyse_votes",
            "--comments",
            str(comments),
            "--votes",
            str(comments),
            "--out",
            str(tmp_path / "o.json"),
        )
