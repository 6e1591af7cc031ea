"""Review recipients: a win-back proposal's audience in a paged modal, where an approver
excludes people and rewrites one email, then submits the review as an edit of the proposal.

Only approvers may review (the same check as Edit: ``approval_to_open``, audited). Each click
inside the modal (a row's menu, a page button) checks again that the proposal still waits, and
updates the modal in place (``views.update`` with the view's hash); "Rewrite the email…" pushes
a modal with that email as it would go. Nothing is stored until *Re-price*: the review is then
checked by the workflow like any edit (problems are shown in the modal), the modal closes, and
the desk decides it — claimed once, audited, re-priced by Finance, asked again on the proposal's
message (``approvals.decide``).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import handoff, ids, work
from bot.approvers import ApproverDirectory
from bot.blocks import review_modal as review_blocks
from bot.blocks.edit_modal import MetadataTooLargeError, field_error
from bot.blocks.review_modal import (
    DraftMetadata,
    ReviewMetadata,
    RowChoice,
)
from bot.envelopes import BlockActions, OpenView, ViewSubmission
from bot.listeners.approvals import (
    DecisionRequest,
    approval_to_open,
    check_request,
    decide,
    exact_problem,
    plain_problem,
    proposal_message,
)
from bot.listeners.replies import Reply, tell_clicker
from bot.runner import WorkflowRunner
from controlroom.services import Services
from workflows.approvals import InvalidDecisionError
from workflows.proposals import Recipient, SampleEmail, WinbackProposal, proposal_of

logger = logging.getLogger(__name__)

NOTHING_CHOSEN = "Nothing to re-price yet: exclude someone or rewrite an email first."
UNREADABLE = (
    "This review form is not one the app can read: open it again with the proposal's "
    "Review recipients button."
)
NOT_IN_AUDIENCE = "That person is not in this campaign's audience: choose from the list."
NOT_A_CAMPAIGN = "Only a win-back proposal has recipients to review."


def register(app: AsyncApp, services: Services, runner: WorkflowRunner) -> None:
    """Answer the Review recipients button, the clicks inside the review modal and the two
    modals' submissions on ``app``."""
    directory = ApproverDirectory(services.policies.approvals)

    async def reviewed(
        reply: Reply, run_id: str, user: str, client: AsyncWebClient
    ) -> WinbackProposal | None:
        """The pending campaign ``user`` may review; None when the person was told why not."""
        approval = await approval_to_open(services, runner, directory, client, reply, run_id, user)
        if approval is None:
            return None
        proposal = proposal_of(approval)
        if not isinstance(proposal, WinbackProposal) or not proposal.recipients:
            await reply(NOT_A_CAMPAIGN)
            return None
        return proposal

    async def open_review(
        body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        click = BlockActions.model_validate(body)
        reply = tell_clicker(body, respond, client)
        proposal = await reviewed(reply, click.clicked.value, click.user.id, client)
        if proposal is None:
            return
        review = ReviewMetadata(run_id=click.clicked.value, where=proposal_message(body))
        view = review_blocks.review_modal(proposal, review)
        await client.views_open(trigger_id=click.trigger_id, view=view)

    async def in_review(
        click: BlockActions, body: dict[str, Any], client: AsyncWebClient
    ) -> tuple[WinbackProposal, ReviewMetadata, OpenView] | None:
        """The review a click inside its modal changes: the proposal as it stands now, the
        choices so far and the modal; None when the person was told why not."""
        reply = tell_clicker(body, None, client)
        view = click.view
        review = ReviewMetadata.read(view.private_metadata) if view else None
        if view is None or review is None:
            await reply(UNREADABLE)
            return None
        proposal = await reviewed(reply, review.run_id, click.user.id, client)
        return None if proposal is None else (proposal, review, view)

    async def choose(body: dict[str, Any], client: AsyncWebClient) -> None:
        click = BlockActions.model_validate(body)
        found = await in_review(click, body, client)
        if found is None:
            return
        proposal, review, view = found
        choice = RowChoice.read(click.clicked.chosen)
        audience = {r.customer_id: r for r in proposal.recipients}
        if choice is None or choice.customer_id not in audience:
            await show(client, body, view, proposal, review, NOT_IN_AUDIENCE)
        elif choice.verb == "rewrite":
            recipient = audience[choice.customer_id]
            await rewrite(client, body, click, view, proposal, review, recipient)
        else:
            try:
                chosen = review.choose(choice.verb, choice.customer_id)
                chosen.dumped()
            except MetadataTooLargeError as error:
                await show(client, body, view, proposal, review, str(error))
            else:
                await show(client, body, view, proposal, chosen, None)

    async def rewrite(
        client: AsyncWebClient,
        body: dict[str, Any],
        click: BlockActions,
        view: OpenView,
        proposal: WinbackProposal,
        review: ReviewMetadata,
        recipient: Recipient,
    ) -> None:
        """Push the modal rewriting ``recipient``'s email: this review's text for her, else her
        email as it would go now."""
        draft = review.draft
        mine = draft if draft is not None and draft.customer_id == recipient.customer_id else None
        email = (
            SampleEmail(
                customer_id=recipient.customer_id,
                recipient=recipient.recipient,
                subject=mine.subject,
                body=mine.body,
            )
            if mine is not None
            else await runner.call(work.recipient_draft, review.run_id, recipient.customer_id)
        )
        if email is None:
            await show(client, body, view, proposal, review, NOT_IN_AUDIENCE)
            return
        metadata = DraftMetadata(
            parent_view=view.id, customer_id=recipient.customer_id, review=review
        )
        try:
            modal = review_blocks.draft_modal(recipient, email, metadata)
        except MetadataTooLargeError as error:
            await show(client, body, view, proposal, review, str(error))
            return
        await client.views_push(trigger_id=click.trigger_id, view=modal)

    async def turn(body: dict[str, Any], client: AsyncWebClient) -> None:
        click = BlockActions.model_validate(body)
        found = await in_review(click, body, client)
        if found is None:
            return
        proposal, review, view = found
        page = review_blocks.whole_number(click.clicked.chosen)
        turned = review.model_copy(update={"page": review.page if page is None else page})
        await show(client, body, view, proposal, turned, None)

    def rewriting(
        body: dict[str, Any], view: dict[str, Any]
    ) -> tuple[DraftMetadata, ReviewMetadata] | None:
        """The draft modal's metadata and the review as its submission leaves it (the draft in,
        its recipient no longer excluded); None when the metadata is not as we wrote it."""
        metadata = DraftMetadata.read(ViewSubmission.model_validate(body).view.private_metadata)
        if metadata is None:
            return None
        draft = review_blocks.draft_submission(view, metadata.customer_id)
        before = metadata.review
        review = before.model_copy(
            update={
                "draft": draft,
                "exclude": [c for c in before.exclude if c != draft.customer_id],
            }
        )
        return metadata, review

    async def draft_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        rewrote = rewriting(body, view)
        if rewrote is None:
            await ack(response_action="errors", errors={ids.REVIEW_DRAFT_BODY_BLOCK: UNREADABLE})
            return
        review = rewrote[1]
        assert review.draft is not None  # rewriting() puts it in
        # Only the email is checked here; the whole review is checked when it is submitted.
        request = DecisionRequest(
            review.run_id,
            "edited",
            ViewSubmission.model_validate(body).user.id,
            review.where,
            edits={"draft": review.draft.model_dump()},
        )
        approvers = await directory.approvers(client)
        problem = await check_request(runner, request, approvers)
        wrong: str | None = None
        if problem is not None:
            fields = problem.fields if isinstance(problem, InvalidDecisionError) else {}
            wrong = fields.get("draft") or plain_problem(services, problem)
        else:
            try:
                review.dumped()
            except MetadataTooLargeError as error:
                wrong = str(error)
        if wrong is not None:
            errors = {ids.REVIEW_DRAFT_BODY_BLOCK: field_error(wrong)}
            await ack(response_action="errors", errors=errors)
            return
        await handoff.accept(ack, context)  # closes this modal: the review shows again, updated

    async def rewritten(body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        rewrote = rewriting(body, view)
        assert rewrote is not None  # the ack accepted it
        metadata, review = rewrote
        approval = await runner.call(work.exact_approval, review.run_id)
        proposal = proposal_of(approval)
        if isinstance(proposal, WinbackProposal):
            modal = review_blocks.review_modal(proposal, review)
            await client.views_update(view_id=metadata.parent_view, view=modal)

    def review_request(body: dict[str, Any], review: ReviewMetadata) -> DecisionRequest:
        user = ViewSubmission.model_validate(body).user.id
        return DecisionRequest(review.run_id, "edited", user, review.where, edits=review.edits())

    async def review_submitted(
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        review = ReviewMetadata.read(ViewSubmission.model_validate(body).view.private_metadata)
        unknown = UNREADABLE if review is None else await exact_problem(runner, review.run_id)
        if review is None or unknown is not None:
            await ack(response_action="update", view=review_blocks.notice_modal(unknown or ""))
            return
        proposal = proposal_of(await runner.call(work.exact_approval, review.run_id))
        if not isinstance(proposal, WinbackProposal):
            await ack(response_action="update", view=review_blocks.notice_modal(NOT_A_CAMPAIGN))
            return
        request = review_request(body, review)
        notice = NOTHING_CHOSEN if not request.edits else None
        if notice is None:
            approvers = await directory.approvers(client)
            problem = await check_request(runner, request, approvers)
            notice = plain_problem(services, problem) if problem is not None else None
        if notice is not None:
            modal = review_blocks.review_modal(proposal, review, notice=notice)
            await ack(response_action="update", view=modal)
            return
        await handoff.accept(ack, context)

    async def submitted(body: dict[str, Any], client: AsyncWebClient) -> None:
        review = ReviewMetadata.read(ViewSubmission.model_validate(body).view.private_metadata)
        assert review is not None  # the ack accepted it
        approvers = await directory.approvers(client)
        request = review_request(body, review)
        await decide(services, runner, client, tell_clicker(body, None, client), request, approvers)

    async def show(
        client: AsyncWebClient,
        body: dict[str, Any],
        view: OpenView,
        proposal: WinbackProposal,
        review: ReviewMetadata,
        notice: str | None,
    ) -> None:
        """The review modal again, in place; a click that crossed another is told to retry."""
        modal = review_blocks.review_modal(proposal, review, notice=notice)
        try:
            await client.views_update(view_id=view.id, hash=view.hash or None, view=modal)
        except SlackApiError as error:
            if error.response.get("error") != "hash_conflict":
                raise
            logger.info("review of run %s: a click crossed another", review.run_id)
            reply = tell_clicker(body, None, client)
            await reply("Your last choice in the review crossed another: please make it again.")

    handoff.listen(app.action(ids.REVIEW), open_review)
    handoff.listen(app.action(ids.REVIEW_ROW), choose)
    handoff.listen(app.action(ids.REVIEW_PREVIOUS), turn)
    handoff.listen(app.action(ids.REVIEW_NEXT), turn)
    handoff.listen(app.view(ids.REVIEW_DRAFT_MODAL), rewritten, ack=draft_submitted)
    handoff.listen(app.view(ids.REVIEW_MODAL), submitted, ack=review_submitted)
