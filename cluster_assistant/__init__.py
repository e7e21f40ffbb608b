"""cluster-assistant: a cited knowledge assistant for coordinators of business clusters.

One installed package. Its parts live in the repository's top folders and are mapped here by
`package-dir` in pyproject.toml: `assistant/` (the core), `bots/` (CLI and Slack adapters), `evals/`
(the evaluation suite), `corpus/` and `prompts/` (package data).
"""

__version__ = "0.1.0"
