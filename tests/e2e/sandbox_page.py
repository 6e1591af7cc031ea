"""The sandbox page as a person uses it: pick who you are, open a channel, type, click, fill in
modals. Locators follow what a person sees (button labels, message text), not internals."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

# The app's slow answers (a digest, a win-back) take seconds on a shared 2-core machine.
SLOW_MS = 180_000


class SandboxPage:
    def __init__(self, page: Page, url: str) -> None:
        self.page = page
        self.url = url

    def open(self, *, user: str, channel: str) -> None:
        self.page.goto(f"{self.url}/?user={user}")
        expect(self.page.locator("#user")).to_have_value(user)
        self.go_to(channel)

    def go_to(self, channel: str) -> None:
        """Open ``channel`` (its name without "#"), or "app" for the app's Messages tab."""
        self.page.locator(f"nav a[data-name='{channel}']").click()
        expect(self.page.locator(f"nav a.active[data-name='{channel}']")).to_be_visible()

    def open_app_home(self) -> None:
        self.page.locator("nav a[data-name='app']").click()
        self.page.locator("#tab-home").click()
        expect(self.page.locator("#home")).to_be_visible()

    def open_app_messages(self) -> None:
        self.page.locator("nav a[data-name='app']").click()
        self.page.locator("#tab-messages").click()
        expect(self.page.locator("#messages")).to_be_visible()

    def switch_user(self, user: str) -> None:
        self.page.locator("#user").select_option(user)
        expect(self.page.locator("body")).to_have_attribute("data-user", user)

    def send(self, text: str) -> None:
        """Type ``text`` in the channel's composer and press Enter."""
        composer = self.page.locator("#composer")
        composer.fill(text)
        composer.press("Enter")
        expect(composer).to_have_value("")

    def reply(self, text: str) -> None:
        composer = self.page.locator("#reply")
        composer.fill(text)
        composer.press("Enter")
        expect(composer).to_have_value("")

    def message(self, text: str, *, timeout: float = SLOW_MS, scope: str = "#messages") -> Locator:
        """The last message in view holding ``text``, waiting for it to come."""
        found = self.page.locator(f"{scope} .message", has_text=text).last
        expect(found).to_be_visible(timeout=timeout)
        return found

    def message_with_button(self, label: str, *, scope: str = "#messages") -> Locator:
        button = self.page.get_by_role("button", name=label, exact=True)
        found = self.page.locator(f"{scope} .message", has=button).last
        expect(found).to_be_visible(timeout=SLOW_MS)
        return found

    def click(self, where: Locator, label: str) -> None:
        where.get_by_role("button", name=label, exact=True).click()

    def confirm(self) -> Locator:
        """The confirmation dialog a button asked for."""
        dialog = self.page.get_by_role("alertdialog")
        expect(dialog).to_be_visible()
        return dialog

    def open_thread(self, message: Locator) -> Locator:
        message.locator(".replies").click()
        thread = self.page.locator("#thread-panel")
        expect(thread).to_be_visible()
        return thread

    def modal(self) -> Locator:
        dialog = self.page.get_by_role("dialog")
        expect(dialog).to_be_visible(timeout=30_000)
        return dialog

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)
