"""Every Slack identifier the app answers to, shared by the Block Kit builders and ``register``.

A button built with one of these ids is routed by the listener registered with the same one.
"""

from __future__ import annotations

COMMAND = "/controlroom"

APPROVE = "approval_approve"
REJECT = "approval_reject"
EDIT = "approval_edit"

# The modal asking why a proposal is rejected; its input block and element.
REJECT_MODAL = "approval_reject_modal"
REJECT_REASON_BLOCK = "reject_reason"
REJECT_REASON_INPUT = "reject_reason_input"

# The modal editing a proposal (a win-back's discount, subject, audience cap; an answer's text):
# one input block per field, each holding one element.
EDIT_MODAL = "approval_edit_modal"
EDIT_DISCOUNT_BLOCK = "edit_discount"
EDIT_DISCOUNT_INPUT = "edit_discount_input"
EDIT_SUBJECT_BLOCK = "edit_subject"
EDIT_SUBJECT_INPUT = "edit_subject_input"
EDIT_AUDIENCE_CAP_BLOCK = "edit_audience_cap"
EDIT_AUDIENCE_CAP_INPUT = "edit_audience_cap_input"
EDIT_TEXT_BLOCK = "edit_text"
EDIT_TEXT_INPUT = "edit_text_input"

# "Review recipients" on a win-back proposal: a paged modal of its audience, a menu on each row
# (exclude, include again, rewrite the email), its page buttons; and the modal rewriting one
# recipient's email, pushed over it (one input block per field, each holding one element).
REVIEW = "approval_review"
REVIEW_MODAL = "approval_review_modal"
REVIEW_ROW = "review_row"
REVIEW_PREVIOUS = "review_previous_page"
REVIEW_NEXT = "review_next_page"
REVIEW_DRAFT_MODAL = "review_draft_modal"
REVIEW_DRAFT_SUBJECT_BLOCK = "review_draft_subject"
REVIEW_DRAFT_SUBJECT_INPUT = "review_draft_subject_input"
REVIEW_DRAFT_BODY_BLOCK = "review_draft_body"
REVIEW_DRAFT_BODY_INPUT = "review_draft_body_input"

# "Run weekly digest now" (App Home) and "Start win-back for At Risk" (digest, App Home).
RUN_DIGEST = "run_weekly_digest"
START_WINBACK = "digest_start_winback"

# Support answers: the feedback buttons under an answer (their value is the answer's run id).
# "How was this computed?" under an answer: its metrics' definitions and SQL in the thread.
ASK_EXPLAIN = "ask_explain"
SUPPORT_HELPFUL = "support_helpful"
SUPPORT_NOT_HELPFUL = "support_not_helpful"
# "Send this reply to the customer" under an approver's reply in a support escalation's thread
# (its value: the run and the reply, ``bot.blocks.support.ProposedReply``).
SUPPORT_RELAY_REPLY = "support_relay_reply"
