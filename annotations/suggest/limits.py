"""Thresholds of project learning that pages show without loading spaCy."""

#: Human spans a tag needs before a model is trained for it. Ten spans are about one
#: essay's worth of film references or two of claims; below that a model mostly
#: learns the essay's own words (see the learning curve in docs/benchmarks.md).
MIN_SPANS = 10
