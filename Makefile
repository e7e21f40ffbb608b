.PHONY: install demo lint typecheck test eval bench

install:
	pip install -e ".[dev]"

demo:
	pip install -e . && cluster-assistant ingest && cluster-assistant ask "What support does MITA give to clusters?"

# mypy cannot follow setuptools' package-dir mapping, so it checks a tree of links laid out as installed.
typecheck:
	rm -rf build/mypy && mkdir -p build/mypy/cluster_assistant
	for f in cluster_assistant/*.py; do ln -s ../../../$$f build/mypy/$$f; done
	for d in assistant bots evals; do ln -s ../../../$$d build/mypy/cluster_assistant/$$d; done
	cd build/mypy && mypy -p cluster_assistant --config-file ../../pyproject.toml

lint: typecheck
	ruff check .

test: install lint
	python -m pytest -q

eval:
	cluster-assistant eval --baseline evals/baseline.json

bench:
	python bench/run.py
