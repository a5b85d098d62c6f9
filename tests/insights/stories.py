"""Ideas on three clear topics, written the way residents write, for report tests."""

TOPICS = {
    "cycling": [
        "Paint a protected cycle lane on {street} so children can cycle to school",
        "More bike parking racks near {street} station for commuters on bicycles",
        "Separate the cycle path from cars on {street}; cycling there is dangerous",
        "A bike sharing station at {street} with electric bicycles",
        "Fix the potholes in the cycle lane along {street} before someone falls",
    ],
    "trees": [
        "Plant more trees along {street} for shade in hot summers",
        "Turn the empty lot on {street} into a small park with trees and benches",
        "Protect the old oak trees in {street} park from being cut down",
        "A community garden with fruit trees next to {street}",
        "More green space and flower beds around {street} square",
    ],
    "buses": [
        "Run the night bus on {street} every 15 minutes on weekends",
        "A covered bus shelter with a bench at the {street} bus stop",
        "Cheaper bus tickets for students travelling along {street}",
        "Real-time bus arrival screens at the {street} bus stop",
        "A direct bus line from {street} to the hospital",
    ],
}
STREETS = ["Main Street", "Oak Avenue", "River Road", "Mill Lane", "Station Road"]
# What residents add under every idea of a topic: what ties the topic together.
WHY = {
    "cycling": "Cycling should be safe: bikes, bicycles, cycle lanes, cyclists.",
    "trees": "Greener city: trees, parks, gardens, shade, green space.",
    "buses": "Better public transport: buses, bus stops, bus lines, tickets.",
}


def topic_texts(topic: str, n: int) -> list[tuple[str, str]]:
    """n (title, description) pairs on one topic, all different."""
    out = []
    templates = TOPICS[topic]
    for i in range(n):
        street = STREETS[i % len(STREETS)]
        text = templates[i % len(templates)].format(street=street)
        out.append((text[:120], f"{text}. {WHY[topic]} ({i})"))
    return out
