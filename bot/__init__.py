"""The Slack app: thin listeners that parse, authorise, ack within 3 s and call one workflow."""
