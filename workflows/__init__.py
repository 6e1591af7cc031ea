"""LangGraph workflows: weekly GTM digest, win-back campaign and support escalation."""
