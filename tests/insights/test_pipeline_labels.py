"""Readable labels in every language: stopwords per detected language, Korean and
Chinese words, boilerplate left out, "Other topics", and summary lines that give
the title once and then the body's best sentence."""

import numpy as np

from insights.pipeline import (
    Document,
    analyse_texts,
    comments_to_documents,
    read_comments,
)
from insights.pipeline.label import OTHER_TOPICS, catch_all_clusters, keyword_features
from insights.pipeline.language import (
    boilerplate_sentences,
    detect_language,
    korean_tokenizer_available,
    strip_boilerplate,
    topic_tokens,
)
from insights.pipeline.summarise import summary_text


def test_language_is_told_per_text_on_real_petitions_and_vtaiwan(petitions, data_dir):
    english = [detect_language(t) for _, t, _ in petitions[:30]]
    assert english.count("en") >= 28
    chinese = [
        detect_language(c.text)
        for c in read_comments(data_dir / "vtaiwan.uberx" / "comments.csv")[:30]
        if c.text.strip()
    ]
    assert chinese.count("zh") >= 25
    assert (
        detect_language("Mieszkańcy proszą o nową ścieżkę rowerową dla dzieci") == "pl"
    )
    assert (
        detect_language("Nous voulons plus de pistes cyclables dans le quartier")
        == "fr"
    )
    assert detect_language("공공임대주택을 더 많이 지어야 합니다") == "ko"


def test_each_language_loses_its_own_function_words(petitions):
    words = {w for _, t, _ in petitions for w in keyword_features(t)}
    assert not {"the", "and", "should", "would", "which", "there"} & words
    assert {"nhs", "schools"} <= words
    # Polish: "dla", "oraz", "nr" named Polish topics before.
    polish = keyword_features(
        "Budowa ścieżki rowerowej dla mieszkańców oraz remont ul. Długiej nr 5"
    )
    assert not {"dla", "oraz", "nr", "ul"} & set(polish)
    assert "ścieżki rowerowej" in polish


def test_korean_is_split_into_content_words():
    # The given data has no Korean: a sentence in the style of the set.
    assert korean_tokenizer_available()
    tokens = [
        t for t in topic_tokens("공공임대주택을 더 많이 짓는 것입니다", "ko") if t
    ]
    assert {"공공", "임대", "주택"} <= set(tokens)
    # The bad labels ("하는, 많은, 것입니다") are function words: gone.
    assert not {"하는", "많은", "것입니다", "것", "더"} & set(tokens)


def test_chinese_keywords_are_words_not_characters(data_dir):
    comments = read_comments(data_dir / "vtaiwan.uberx" / "comments.csv")
    docs = comments_to_documents(comments)
    result = analyse_texts(docs, n_clusters=4, seed=0, encoder=None)
    keywords = [k for c in result.clusters for k in c.keywords]
    cjk = [k for k in keywords if "\u4e00" <= k[0] <= "\u9fff"]
    assert cjk and all(len(k) >= 2 for k in cjk)
    # Each keyword is a run of the residents' own text, not a made-up join.
    joined = "\n".join("".join(d.text.split()) for d in docs)
    assert all(k.replace(" ", "") in joined for k in cjk)


def test_a_sentence_repeated_across_many_texts_is_not_a_topic(petitions):
    footer = "This petition was submitted through the council's online form."
    texts = [
        f"{t}\n\n{footer}" if i % 3 else t for i, (_, t, _) in enumerate(petitions)
    ]
    found = boilerplate_sentences(texts)
    assert len(found) == 1 and "online form" in next(iter(found))
    assert "online form" not in strip_boilerplate(texts[1], found)
    result = analyse_texts(texts, n_clusters=4, seed=0, encoder=None)
    for c in result.clusters:
        assert not {"online", "form", "online form", "council"} & set(c.keywords)
        assert all("online form" not in line.text for line in c.summary)


def test_a_loose_large_cluster_is_other_topics_not_a_fake_label():
    # Four tight topics and one big loose bag of everything else.
    coherence = [0.62, 0.58, 0.31, 0.6, 0.57]
    sizes = np.array([40, 35, 90, 30, 38])
    assert catch_all_clusters(coherence, sizes) == {2}
    # A small loose cluster is a niche topic, and three clusters are too few.
    assert catch_all_clusters(coherence, np.array([40, 35, 5, 30, 38])) == set()
    assert catch_all_clusters([0.6, 0.3, 0.6], np.array([10, 50, 10])) == set()


def test_other_topics_reaches_the_analysis(petitions):
    docs = [Document(id=i, text=t) for i, t, _ in petitions]
    result = analyse_texts(docs, n_clusters=8, seed=0, encoder=None)
    flagged = [c for c in result.clusters if c.catch_all]
    for c in flagged:
        assert c.label == OTHER_TOPICS
    assert all(c.label != OTHER_TOPICS for c in result.clusters if not c.catch_all)
    out = result.to_json()
    assert [c["other"] for c in out["clusters"]] == [
        c.catch_all for c in result.clusters
    ]


def test_summary_line_gives_the_title_once_then_the_best_sentence():
    doc = Document(
        id="1",
        title="Affordable housing becomes the most urgent need",
        text=(
            "Affordable housing becomes the most urgent need. Affordable housing "
            "becomes the most urgent need in our town. Rents rose fast. Housing "
            "providers should build social homes near the station."
        ),
    )
    line = summary_text(doc, keywords=["social homes", "housing"])
    assert line.count("Affordable housing becomes the most urgent need") == 1
    assert line.endswith(
        "Housing providers should build social homes near the station."
    )


def test_report_summary_lines_never_repeat_the_title(petitions):
    docs = [Document(id=i, text=t) for i, t, _ in petitions]
    result = analyse_texts(docs, n_clusters=4, seed=0, encoder=None)
    for c in result.clusters:
        for line in c.summary:
            head, _, rest = line.text.partition(" — ")
            assert head and head.lower() not in rest.lower()
