.PHONY: install demo lint test eval bench

install:
	pip install -e ".[dev]"

demo:
	pip install -e . && cluster-assistant ingest && cluster-assistant ask "What support does MITA give to clusters?"

lint:
	ruff check .
	mypy assistant bots evals

test: install lint
	python -m pytest -q

eval:
	cluster-assistant eval --baseline evals/baseline.json

bench:
	python bench/run.py
