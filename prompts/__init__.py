# Prompt templates ship as package data of ``assistant.prompts`` (see pyproject.toml).
