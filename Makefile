# blockmath — render teaching clips of a Transformer block's non-attention half.
# Every target runs inside the project venv. User values reach Python as environment data, never as shell text.

PYTHON     ?= python3
VENV       ?= .venv
SENTENCE   ?= The animal didn't cross the street because it was tired.
SENTENCE_FILE ?=
TOKEN      ?=
SEED       ?= 0
QUALITY    ?= m
RESOLUTION ?=
FORMAT     ?= mp4
TRANSPARENT ?=
LAMBDAS    ?= 0 1 2 1
NORM       ?= pre
D_MODEL    ?= 8
D_FF       ?=
N_HEADS    ?= 2
MEDIA      ?= media
NARRATE    ?=
VOICE      ?=
JOBS       ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=
AUDIT_ARGS ?=

# Freeze every user value as literal text: `$(value ...)` stops make from expanding $(...) inside a sentence.
override SENTENCE      := $(value SENTENCE)
override SENTENCE_FILE := $(value SENTENCE_FILE)
override TOKEN         := $(value TOKEN)
override SEED          := $(value SEED)
override QUALITY       := $(value QUALITY)
override RESOLUTION    := $(value RESOLUTION)
override FORMAT        := $(value FORMAT)
override TRANSPARENT   := $(value TRANSPARENT)
override LAMBDAS       := $(value LAMBDAS)
override NORM          := $(value NORM)
override D_MODEL       := $(value D_MODEL)
override D_FF          := $(value D_FF)
override N_HEADS       := $(value N_HEADS)
override MEDIA         := $(value MEDIA)
override NARRATE       := $(value NARRATE)
override VOICE         := $(value VOICE)
override JOBS          := $(value JOBS)
export BLOCKMATH_SENTENCE   := $(SENTENCE)
export BLOCKMATH_TOKEN      := $(TOKEN)
export BLOCKMATH_SEED       := $(SEED)
export BLOCKMATH_QUALITY    := $(QUALITY)
export BLOCKMATH_RESOLUTION := $(RESOLUTION)
export BLOCKMATH_FORMAT     := $(FORMAT)
export BLOCKMATH_TRANSPARENT := $(TRANSPARENT)
export BLOCKMATH_LAMBDAS    := $(LAMBDAS)
export BLOCKMATH_NORM       := $(NORM)
export BLOCKMATH_D_MODEL    := $(D_MODEL)
export BLOCKMATH_D_FF       := $(D_FF)
export BLOCKMATH_N_HEADS    := $(N_HEADS)
export BLOCKMATH_MEDIA      := $(MEDIA)
export BLOCKMATH_NARRATE    := $(NARRATE)
export BLOCKMATH_VOICE      := $(VOICE)
export BLOCKMATH_JOBS       := $(JOBS)
export BLOCKMATH_SENTENCE_FILE := $(SENTENCE_FILE)

VPY   := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# reveal.js, vendored into the venv for the offline deck (version and hash pinned in src/blockmath/revealjs.py)
REVEAL := $(VENV)/.revealjs
BM    := $(VPY) -m blockmath

HERE   := $(dir $(lastword $(MAKEFILE_LIST)))
SCENES := $(shell $(PYTHON) $(HERE)src/blockmath/lessons.py)  # the lessons, from their one registry

.PHONY: help setup videos $(SCENES) movie gallery slides preview trace audit test bench clean

help:  ## list the targets
	@grep -E '^[$$()A-Za-z -]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/; s/^[$$](SCENES)/$(SCENES)/'

setup: $(STAMP) $(REVEAL)  ## install system packages (apt), the venv and reveal.js (for the deck)

$(STAMP): pyproject.toml scripts/system-deps.sh
	PYTHON=$(PYTHON) bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[render,test,voice,voice-piper]'
	touch $@

$(REVEAL): $(STAMP) src/blockmath/revealjs.py
	$(VPY) -m blockmath.revealjs
	touch $@

videos: $(STAMP)  ## render every scene (QUALITY, SENTENCE, TOKEN, SEED, ...)
	$(BM) render all

$(SCENES): $(STAMP)  ## render one lesson
	$(BM) render $@

movie: $(STAMP)  ## every scene in teaching order with title cards, as one movie.mp4
	$(BM) movie

gallery: $(STAMP)  ## every scene plus GIF previews, index.html and manifest.json
	$(BM) gallery

slides: $(STAMP) $(REVEAL)  ## a deck with one slide per beat (manim-slides): deck.html (reveal.js) and deck.pptx
	$(BM) slides

preview: override BLOCKMATH_QUALITY := l
preview: $(STAMP)  ## quick low-quality render of every scene
	$(BM) render all

trace: $(STAMP)  ## print the numbers the scenes show, as JSON
	$(BM) trace

audit: $(STAMP)  ## dry-run every lesson over sentences, widths, frames and norms; check the layout
	$(VPY) -m blockmath.audit $(AUDIT_ARGS)

bench: $(STAMP)  ## measure rendering cost (BENCH_ARGS=--quick for a short run); writes bench.json
	$(VPY) -m blockmath.bench $(BENCH_ARGS)

$(VENV)/.test-deps: $(STAMP) $(REVEAL)
	PYTHON=$(PYTHON) bash scripts/system-deps.sh test
	touch $@

test: $(VENV)/.test-deps  ## run the test suite
	$(VPY) -m pytest $(PYTEST_ARGS)

clean:  ## remove rendered media
	rm -rf -- $(MEDIA)/clips $(MEDIA)/.work $(MEDIA)/.cache $(MEDIA)/logs $(MEDIA)/manim
