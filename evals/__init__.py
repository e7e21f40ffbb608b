"""The evaluation suite: reference Q&A, metrics that need no LLM, reports and a regression gate."""
