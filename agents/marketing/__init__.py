"""The Marketing specialist: channel performance, campaign copy and personal email drafts."""
