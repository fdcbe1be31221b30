"""The cue phrases, as SpanRuler patterns: one label per kind of cue.

The rules in predictions.py, claims.py and films.py read these labelled spans
(``doc.spans["herlens_cues"]``) and decide what to suggest; keeping the word
lists here lets a reader see every cue in one place.
"""

from __future__ import annotations

from typing import Any

NUMBER_WORDS = [
    "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "twenty", "thirty", "fifty", "hundred", "few", "several", "couple",
]  # fmt: skip
UNITS = ["year", "years", "decade", "decades", "century", "centuries", "generation", "generations",
         "month", "months", "lifetime"]  # fmt: skip
NUMBER = {"IS_DIGIT": True}
COUNT = {"LOWER": {"IN": NUMBER_WORDS}}
YEAR = {"TEXT": {"REGEX": r"^(1[89]|2[01])\d\d$"}}

FORECAST_VERBS = [
    "predict", "predicts", "predicted", "predicting", "prediction", "predictions",
    "expect", "expects", "expected", "expecting", "foresee", "foresees", "foresaw", "foreseen",
    "forecast", "forecasts", "forecasting", "anticipate", "anticipates", "anticipated",
    "prophesy", "prophesies", "prophesied", "envision", "envisions", "envisage", "envisages",
]  # fmt: skip
REPORT_VERBS = [
    "argue", "argues", "argued", "arguing", "claim", "claims", "claimed", "claiming",
    "contend", "contends", "contended", "suggest", "suggests", "suggested", "conclude",
    "concludes", "concluded", "theorise", "theorises", "theorised", "theorize", "theorizes",
    "theorized", "insist", "insists", "insisted", "maintain", "maintains", "maintained",
    "assert", "asserts", "asserted", "posit", "posits", "posited", "believe", "believes",
    "believed", "hold", "holds", "held", "reckon", "reckons", "doubt", "doubts", "warn",
    "warns", "warned", "concede", "concedes", "conceded", "contest", "contests", "deny",
    "denies", "denied", "proves", "shows", "reveals", "demonstrates", "implies", "reminds",
    "remind", "teaches", "insists",
]  # fmt: skip
EVALUATIVE = [
    "important", "wrong", "right", "naive", "naïve", "misguided", "mistaken", "central",
    "essential", "crucial", "better", "worse", "best", "worst", "brilliant", "beautiful",
    "powerful", "shallow", "profound", "dangerous", "convincing", "unconvincing", "compelling",
    "absurd", "hollow", "timely", "prescient", "dated", "relevant", "irrelevant", "problematic",
    "fascinating", "remarkable", "flawed", "honest", "dishonest", "cynical", "optimistic",
    "pessimistic", "misleading", "true", "false", "unfair", "fair", "lazy", "clumsy", "moving",
    "hopeful", "bleak", "sentimental", "radical", "conservative", "nostalgic", "ironic",
    "striking", "clever", "superficial", "accurate", "inaccurate", "impossible", "inevitable",
    "tragic", "unsettling", "disturbing", "frightening", "comforting", "useful", "useless",
    "sincere", "generous", "cruel", "kind", "lonely", "empty", "richer", "poorer", "weaker",
    "stronger", "wiser", "smarter", "greater", "less", "more", "least", "most", "mere",
    "failure", "masterpiece", "triumph", "mistake", "warning", "fantasy", "illusion", "myth",
    "terrifying", "wild", "amazing", "stunning", "boring", "overrated", "underrated", "great",
    "awful", "perfect", "gorgeous", "sad", "funny", "silly", "smart", "stupid", "weird",
]  # fmt: skip
COPULAS = ["is", "are", "was", "were", "be", "been", "remains", "remain", "feels", "feel",
           "seems", "seem", "looks", "becomes", "become", "sounds", "sound", "'s", "’s"]  # fmt: skip
DEGREE = ["not", "n't", "never", "so", "too", "very", "deeply", "far", "much", "rather", "quite",
          "ultimately", "really", "simply", "entirely", "less", "more", "all", "also", "both",
          "still", "hardly", "a", "an", "the", "just", "merely", "only", "surprisingly"]  # fmt: skip

FILM_NOUNS = [
    "film", "films", "movie", "movies", "picture", "documentary", "drama", "thriller", "comedy",
    "romance", "blockbuster", "classic", "sequel", "prequel", "remake", "feature", "series",
    "franchise", "melodrama", "fable", "satire", "epic", "adaptation", "cartoon", "animation",
    "masterpiece", "sci-fi", "classics", "thrillers", "dramas", "comedies", "documentaries",
    "episode", "episodes", "show", "shows", "sitcom", "miniseries", "anime", "blockbusters",
    "romances", "satires", "fables",
]  # fmt: skip
ROLE_NOUNS = [
    "director", "directors", "actor", "actress", "actors", "filmmaker", "film-maker",
    "screenwriter", "writer-director", "auteur", "star", "co-star", "protagonist",
    "character", "heroine", "hero", "villain", "android", "robot", "cyborg", "replicant",
    "computer", "supercomputer", "machine", "narrator", "lead", "autopilot", "probe", "doll",
]  # fmt: skip
PERSON_VERBS = ["played", "portrayed", "voiced", "directed", "written", "starring", "featuring",
                "performed", "acted"]  # fmt: skip

STANCE_PHRASES = [
    "i think", "i believe", "i would argue", "i'd argue", "i argue", "i contend", "i suspect",
    "i am convinced", "i'm convinced", "seems to me", "seemed to me", "in my view", "in my opinion", "to my mind",
    "it seems to me", "the point is", "the truth is", "the problem is", "the trouble is",
    "the question is", "there is no doubt", "no doubt", "of course", "in fact", "in truth",
    "what matters", "what matters is", "the real", "make no mistake", "it is worth noting",
    "we should", "we must", "we need to", "should be", "must be", "cannot be", "can't be",
    "it is no accident", "it is no coincidence", "this is why", "that is why", "the lesson",
]  # fmt: skip
STANCE_WORDS = ["clearly", "obviously", "undoubtedly", "surely", "certainly", "undeniably",
                "evidently", "plainly", "admittedly", "arguably", "ultimately", "essentially",
                "fundamentally", "crucially", "tellingly", "rightly", "wrongly"]  # fmt: skip
IT_IS_ADJ = ["obvious", "clear", "evident", "undeniable", "true", "plain", "likely", "certain",
             "telling", "striking", "ironic", "significant", "hard", "difficult",
             "easy", "wrong", "right", "fair", "unfair", "impossible", "important", "worth"]  # fmt: skip
CONSENSUS_SUBJECTS = ["critics", "viewers", "audiences", "scholars", "commentators", "experts",
                      "people", "reviewers", "theorists", "researchers", "historians", "fans",
                      "many", "most", "some", "few", "others", "everyone", "nobody"]  # fmt: skip
CONSENSUS_VERBS = ["agree", "agreed", "argue", "argued", "believe", "believed", "think", "thought",
                   "say", "said", "claim", "claimed", "read", "see", "saw", "insist", "insisted",
                   "would", "dismiss", "dismissed", "consider", "considered", "praise",
                   "praised", "call", "called", "hail", "hailed"]  # fmt: skip
#: Verbs that judge: "the film deserves", "the ending fails".
EVALUATIVE_VERBS = ["deserves", "deserve", "fails", "failed", "succeeds", "succeeded", "matters",
                    "betrays", "betrayed", "misses", "missed", "understands", "misunderstands",
                    "trivialises", "trivializes", "exaggerates", "overstates", "underestimates"]  # fmt: skip
INTENSIFIERS = ["too", "so", "very", "deeply", "utterly", "remarkably", "strangely", "oddly",
                "curiously", "surprisingly", "profoundly", "genuinely", "truly", "painfully"]  # fmt: skip
#: Adjective endings, for copular judgements when no tagger is loaded ("is not harmless").
ADJECTIVE_ENDINGS = r"(less|ful|ous|ive|able|ible|ic|ical|ent|ant|ish)$"
I_VERBS = ["think", "believe", "suspect", "doubt", "feel", "would", "'d", "maintain"]
WATCH_VERBS = ["saw", "seen", "watched", "rewatched", "re-watched", "watching", "rewatching",
               "screened", "screening"]  # fmt: skip
AUTHORED_WORKS = [
    "novel",
    "book",
    "story",
    "screenplay",
    "script",
    "score",
    "music",
    "film",
    "films",
]
#: Degree words without articles: "is a moment" must not look like "is momentous".
ADVERBS = [word for word in DEGREE if word not in {"a", "an", "the"}]
ADJECTIVE_LIKE = {"LOWER": {"REGEX": ADJECTIVE_ENDINGS}, "LENGTH": {">=": 6}}
SUPERLATIVE = {"LOWER": {"REGEX": r"(\w{3,}est|^most|^best|^worst|^least)$"}}
#: Nouns after a possessive that make the owner a film ("Her's ending").
FILM_PARTS = [
    "release", "ending", "plot", "protagonist", "director", "cast", "score", "premise",
    "screenplay", "script", "heroine", "hero", "villain", "sequel", "opening", "soundtrack",
    "cinematography", "characters", "world", "vision", "finale", "climax", "trailer",
    "production", "narrative", "storyline", "depiction", "portrayal", "title", "reception",
]  # fmt: skip
OPINION_NOUNS = ["guess", "sense", "view", "reading", "hunch", "bet", "point", "argument", "claim",
                 "feeling", "suspicion", "conclusion", "worry", "fear", "hope"]  # fmt: skip
HEDGES = ["perhaps", "maybe", "probably", "possibly", "presumably", "apparently", "seemingly"]

FUTURE_FRAMES: list[list[dict[str, Any]]] = [
    [{"LOWER": "by"}, YEAR],
    [{"LOWER": "by"}, {"LOWER": "the"}, {"LOWER": {"IN": ["end", "middle", "turn"]}}, {"LOWER": "of"},
     {"LOWER": {"IN": ["the", "this"]}, "OP": "?"}, {"LOWER": {"IN": ["century", "decade", "year"]}}],
    [{"LOWER": {"IN": ["within", "in"]}}, {"LOWER": {"IN": ["the", "a", "another"]}, "OP": "?"},
     {"LOWER": {"IN": ["next", "coming", "following"]}}, {"OP": "?"}, {"LOWER": {"IN": UNITS}}],
    [{"LOWER": {"IN": ["within", "in"]}}, {"LOWER": {"IN": ["a", "an", "one"]}},
     {"LOWER": {"IN": UNITS}}],
    [{"LOWER": {"IN": ["within", "in"]}}, {"LOWER": {"IN": ["a", "the"]}, "OP": "?"},
     {"LOWER": {"IN": ["few", "couple"]}}, {"LOWER": "of", "OP": "?"}, {"LOWER": {"IN": UNITS}}],
    [{"LOWER": {"IN": ["within", "in"]}}, {"LOWER": {"IN": ["the", "a"]}, "OP": "?"},
     {"LOWER": {"IN": ["next", "coming"]}}, NUMBER, {"LOWER": {"IN": UNITS}}],
    [{"LOWER": {"IN": ["within", "in"]}}, {"LOWER": {"IN": ["the", "a"]}, "OP": "?"},
     {"LOWER": {"IN": ["next", "coming"]}}, COUNT, {"LOWER": {"IN": UNITS}}],
    [{"LOWER": {"IN": ["within", "in"]}}, NUMBER, {"LOWER": {"IN": UNITS}}],
    [{"LOWER": {"IN": ["within", "in"]}}, COUNT, {"LOWER": {"IN": UNITS}}],
    [{"LOWER": "next"}, {"LOWER": {"IN": ["year", "decade", "century", "generation"]}}],
    [{"LOWER": {"IN": ["in", "for"]}}, {"LOWER": "the"}, {"LOWER": {"IN": ["future", "years"]}},
     {"LOWER": "to", "OP": "?"}, {"LOWER": "come", "OP": "?"}],
    [{"LOWER": "in"}, {"LOWER": "the"}, {"LOWER": {"IN": ["near", "distant", "foreseeable"]}},
     {"LOWER": "future"}],
    [{"LOWER": {"IN": ["someday", "soon", "tomorrow", "eventually", "sooner"]}}],
    [{"LOWER": "one"}, {"LOWER": "day"}],
    [{"LOWER": "before"}, {"LOWER": "long"}],
    [{"LOWER": "from"}, {"LOWER": "now"}, {"LOWER": "on"}],
    [{"LOWER": {"IN": ["years", "decades", "generations"]}}, {"LOWER": "from"}, {"LOWER": "now"}],
]  # fmt: skip

PAST_FRAMES: list[list[dict[str, Any]]] = [
    [{"OP": "?"}, {"LOWER": {"IN": UNITS}}, {"LOWER": "ago"}],
    [{"LOWER": "back"}, {"LOWER": "in"}, {"OP": "?"}, YEAR],
    [{"LOWER": {"IN": ["last", "past"]}}, {"LOWER": {"IN": UNITS + ["week", "summer", "winter"]}}],
    [{"LOWER": {"IN": ["at", "upon", "on"]}}, {"LOWER": {"IN": ["its", "the", "their"]}},
     {"LOWER": {"IN": ["release", "premiere", "time"]}}],
    [{"LOWER": "when"}, {"LOWER": {"IN": ["it", "the"]}}, {"OP": "?"},
     {"LOWER": {"IN": ["came", "was", "premiered", "opened"]}}],
    [{"LOWER": "in"}, {"LOWER": "the"}, {"TEXT": {"REGEX": r"^\d{4}s$"}}],
]  # fmt: skip


def _phrase(words: str) -> list[dict[str, Any]]:
    return [{"LOWER": word} for word in words.split()]


def _label(label: str, patterns: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{"label": label, "pattern": pattern} for pattern in patterns]


MODAL_FORMS = ["will", "shall", "'ll", "’ll", "wo", "won't", "won’t"]

#: Forecasts said without a modal: "my prognosis is", "I don't see a future where".
FORECAST_PHRASES: list[list[dict[str, Any]]] = [
    [{"LOWER": "my"}, {"LOWER": {"IN": ["prognosis", "prediction", "forecast", "bet", "prophecy"]}}],
    [{"LOWER": "i"}, {"LOWER": {"IN": ["do", "ca", "can", "cannot", "don't", "can't"]}, "OP": "?"},
     {"LOWER": {"IN": ["n't", "not"]}, "OP": "?"}, {"LOWER": "see"}, {"LOWER": {"IN": ["a", "any", "no"]}},
     {"LOWER": "future"}],
    [{"LOWER": {"IN": ["is", "are", "'s", "’s"]}}, {"LOWER": "coming"}, {"LOWER": {"IN": ["soon", "sooner", "for"]}}],
    [{"LOWER": {"IN": ["is", "are", "'s", "’s"]}}, {"LOWER": "about"}, {"LOWER": "to"}, {"IS_ALPHA": True}],
    [{"LOWER": "only"}, {"LOWER": "a"}, {"LOWER": "matter"}, {"LOWER": "of"}, {"LOWER": "time"}],
    [{"LOWER": "mark"}, {"LOWER": "my"}, {"LOWER": "words"}],
    [{"LOWER": "in"}, {"LOWER": "the"}, {"LOWER": {"IN": ["years", "decades", "months"]}}, {"LOWER": "ahead"}],
]  # fmt: skip
#: Plain assertions with no stance word: "X is just Y", "this is a story about", "is the saddest".
PLAIN_ASSERTIONS: list[list[dict[str, Any]]] = [
    # "What struck me most is...", "What the films share is...": a cleft that states a view
    [{"LOWER": "what", "IS_SENT_START": True}, {"IS_ALPHA": True, "OP": "{1,5}"},
     {"LOWER": {"IN": ["is", "was"]}}],
    [{"LOWER": {"IN": ["is", "are", "'s", "’s"]}}, {"LOWER": {"IN": ["not", "n't"]}, "OP": "?"},
     {"LOWER": {"IN": ["just", "simply", "merely", "really", "only", "never", "always", "still",
                       "basically", "literally"]}}],
    [{"LOWER": {"IN": ["is", "are", "'s", "’s"]}}, {"LOWER": {"IN": ["a", "the"]}},
     {"LOWER": {"IN": ["story", "film", "movie", "book", "fable", "parable", "show", "tale"]}},
     {"LOWER": "about"}],
    [{"LOWER": {"IN": ["is", "are", "was", "'s", "’s"]}}, {"LOWER": "the"}, SUPERLATIVE],
    [{"LOWER": {"IN": ["is", "are", "'s", "’s"]}}, {"LOWER": "the"}, {"LOWER": {"IN": ["whole", "real", "point"]}}],
    [{"LOWER": {"IN": ["is", "are"]}}, {"LOWER": {"IN": ["a", "an"]}}, {"IS_ALPHA": True},
     {"LOWER": {"IN": ["of", "that", "which", "for"]}}],
    # "Memory is not storage.": a definition denied
    [{"LOWER": {"IN": ["is", "are"]}}, {"LOWER": {"IN": ["not", "n't", "never"]}},
     {"LOWER": {"IN": ["a", "an", "the"]}, "OP": "?"}, {"IS_ALPHA": True},
     {"ORTH": {"IN": [".", ";", ":", "!"]}}],
]  # fmt: skip

CUE_PATTERNS: list[dict[str, Any]] = [
    # Predictions
    *_label("FUTURE_MODAL", [[{"LOWER": {"IN": MODAL_FORMS}}]]),
    *_label(
        "FUTURE_MODAL",
        [
            [
                {"LOWER": "going"},
                {"LOWER": "to"},
                {"IS_ALPHA": True, "LOWER": {"NOT_IN": ["the", "a", "an", "be"]}},
            ],
            [
                {"LOWER": "gonna"},
                {"IS_ALPHA": True, "LOWER": {"NOT_IN": ["the", "a", "an", "be"]}},
            ],
            [
                {"LOWER": {"IN": ["is", "are", "'s", "’s", "seems", "seem"]}},
                {
                    "LOWER": {
                        "IN": [
                            "set",
                            "bound",
                            "poised",
                            "likely",
                            "unlikely",
                            "about",
                            "destined",
                            "certain",
                            "sure",
                            "doomed",
                        ]
                    }
                },
                {"LOWER": "to"},
            ],
            [{"LOWER": {"IN": ["is", "are"]}}, {"LOWER": "going"}, {"LOWER": "to"}],
        ],
    ),  # fmt: skip
    *_label("WEAK_MODAL", [[{"LOWER": {"IN": ["would", "could", "might", "may", "'d", "’d"]}}]]),
    *_label("FORECAST", [[{"LOWER": {"IN": FORECAST_VERBS}}]]),
    *_label("FORECAST_PHRASE", FORECAST_PHRASES),
    *_label("PLAIN", PLAIN_ASSERTIONS),
    *_label("TIME_FRAME", FUTURE_FRAMES),
    *_label("PAST_TIME", PAST_FRAMES),
    # Claims
    *_label("REPORT", [[{"LOWER": {"IN": REPORT_VERBS}}]]),
    *_label("STANCE", [_phrase(p) for p in STANCE_PHRASES]),
    *_label("STANCE", [[{"LOWER": {"IN": STANCE_WORDS}}]]),
    *_label(
        "STANCE", [[{"LOWER": "i"}, {"IS_ALPHA": True, "OP": "?"}, {"LOWER": {"IN": I_VERBS}}]]
    ),
    *_label(
        "STANCE",
        [
            [
                {"LOWER": {"IN": ["it", "this", "that"]}},
                {"LOWER": {"IN": ["is", "was", "'s", "’s", "seems"]}},
                {
                    "LOWER": {
                        "IN": ["not", "n't", "so", "quite", "very", "hardly", "equally", "also"]
                    },
                    "OP": "?",
                },
                {"LOWER": {"IN": IT_IS_ADJ}},
                {"LOWER": {"IN": ["that", "to", "how", "why", "noting"]}},
            ],
        ],
    ),  # fmt: skip
    *_label(
        "EVALUATIVE",
        [
            [
                {"LOWER": {"IN": COPULAS}},
                {"LOWER": {"IN": DEGREE}, "OP": "*"},
                {"LOWER": {"IN": EVALUATIVE}},
            ],
            [{"LOWER": {"IN": COPULAS}}, {"LOWER": {"IN": DEGREE}, "OP": "*"}, {"LOWER": "about"}],
            [
                {"LOWER": {"IN": ["is", "was", "are", "were"]}},
                {"LOWER": "less"},
                {"LOWER": "about"},
            ],
            [
                {"LOWER": {"IN": ["is", "are", "was", "were"]}},
                {"LOWER": {"IN": ["not", "n't"]}},
                {"LOWER": {"IN": ["a", "an", "the"]}, "OP": "?"},
                {"IS_ALPHA": True},
                {"LOWER": "but"},
            ],
            [{"LOWER": {"IN": ["more", "less", "rather"]}}, {"LOWER": "than"}],
        ],
    ),  # fmt: skip
    *_label(
        "CONSENSUS",
        [
            [
                {"LOWER": {"IN": CONSENSUS_SUBJECTS}},
                # "nobody can read": a modal between makes it a fact about ability
                {
                    "IS_ALPHA": True,
                    "OP": "?",
                    "LOWER": {"NOT_IN": ["can", "could", "ca", "cannot"]},
                },
                {"LOWER": {"IN": CONSENSUS_VERBS}},
            ],
            [
                {"LOWER": "it"},
                {"LOWER": "is"},
                {
                    "LOWER": {
                        "IN": [
                            "widely",
                            "generally",
                            "often",
                            "commonly",
                            "sometimes",
                            "frequently",
                        ]
                    }
                },
                {
                    "LOWER": {
                        "IN": [
                            "held",
                            "accepted",
                            "agreed",
                            "believed",
                            "said",
                            "assumed",
                            "claimed",
                            "argued",
                            "thought",
                        ]
                    }
                },
            ],
            [{"LOWER": "few"}, {"LOWER": "would"}, {"LOWER": {"IN": ["deny", "dispute", "argue"]}}],
        ],
    ),  # fmt: skip
    *_label(
        "HEDGE",
        [
            [{"LOWER": {"IN": HEDGES}}],
            _phrase("it seems"),
            _phrase("seems to"),
            _phrase("may well"),
        ],
    ),
    # Film references
    *_label("FILM_NOUN", [[{"LOWER": {"IN": FILM_NOUNS}}]]),
    *_label("ROLE_NOUN", [[{"LOWER": {"IN": ROLE_NOUNS}}]]),
    *_label(
        "PERSON_VERB",
        [
            [{"LOWER": {"IN": PERSON_VERBS}}, {"LOWER": "by"}],
            [{"LOWER": {"IN": ["starring", "featuring", "stars"]}}],
            [{"LOWER": "written"}, {"LOWER": "and"}, {"LOWER": "directed"}, {"LOWER": "by"}],
        ],
    ),  # fmt: skip
    *_label("WATCH_VERB", [[{"LOWER": {"IN": WATCH_VERBS}}]]),
    *_label("PERSON_VERB", [[{"LOWER": {"IN": AUTHORED_WORKS}}, {"LOWER": "by"}]]),
    *_label("EVALUATIVE", [[{"LOWER": {"IN": EVALUATIVE_VERBS}}]]),
    *_label(
        "EVALUATIVE",
        [[{"LOWER": {"IN": COPULAS}}, {"LOWER": {"IN": INTENSIFIERS}}, {"IS_ALPHA": True}]],
    ),
    *_label(
        "EVALUATIVE",
        [[{"LOWER": {"IN": COPULAS}}, {"LOWER": {"IN": ADVERBS}, "OP": "*"}, ADJECTIVE_LIKE]],
    ),
    *_label("EVALUATIVE", [[{"LOWER": "one"}, {"LOWER": "of"}, {"LOWER": "the"}, SUPERLATIVE]]),
    *_label("PAREN", [[{"ORTH": "("}]]),
    *_label("POSSESSIVE_PART", [[{"ORTH": {"IN": ["'s", "’s"]}}, {"LOWER": {"IN": FILM_PARTS}}]]),
    # "is not the machine itself but the crowd", "longer but not clearer", "aged far worse"
    *_label(
        "EVALUATIVE",
        [
            [
                {"LOWER": {"IN": ["is", "are", "was", "were"]}},
                {"LOWER": {"IN": ["not", "n't"]}},
                {"IS_ALPHA": True, "OP": "{1,4}"},
                {"LOWER": "but"},
            ],
            [{"LOWER": "but"}, {"LOWER": "not"}, {"LOWER": {"REGEX": r"\w{3,}er$"}}],
            [{"LOWER": {"IN": ["better", "worse"]}}],
        ],
    ),  # fmt: skip
    *_label(
        "STANCE",
        [[{"LOWER": "my"}, {"LOWER": {"IN": OPINION_NOUNS}}, {"LOWER": {"IN": ["is", "was"]}}]],
    ),
    # "few critics", "most viewers": a claim about what people think
    *_label(
        "CONSENSUS",
        [
            [
                {"LOWER": {"IN": ["few", "many", "most", "some"]}},
                {"LOWER": {"IN": CONSENSUS_SUBJECTS}},
            ]
        ],
    ),
    # "Brigitte Helm plays both", "Keanu Reeves stars as": the name before is an actor
    *_label(
        "ACTOR_VERB",
        [
            [
                {"LOWER": {"IN": ["plays", "played", "portrays", "portrayed", "voices", "stars"]}},
                {"LOWER": {"NOT_IN": ["by"]}, "OP": "?"},
            ]
        ],
    ),
]
