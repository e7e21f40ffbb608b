"""Prompt templates (package data), loaded by `assistant.prompts`."""
