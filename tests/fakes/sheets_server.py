"""A local fake of the Google Sheets v4 API, for running the real gspread client in tests.

It serves what ``open_by_key(...)``, ``worksheet(...)`` and ``get_all_values()`` ask for:

- ``GET /v4/spreadsheets/{id}``: the spreadsheet's metadata (title, its sheets' properties);
- ``GET /v4/spreadsheets/{id}/values/{range}``: the values of a whole sheet, trailing empty
  cells and rows trimmed as Google does (or of one row, ``A1:1``, as ``row_values`` asks);

and what ``add_worksheet(...)`` and ``append_rows(...)`` send:

- ``POST /v4/spreadsheets/{id}:batchUpdate`` with ``addSheet`` requests: a new empty sheet;
- ``POST /v4/spreadsheets/{id}/values/{range}:append``: rows added after the sheet's last row;

and answers in Google's error shape (``{"error": {"code", "message", "status"}}``): 404 for an
unknown spreadsheet, 400 for a range naming an unknown sheet, 403 for a spreadsheet marked as not
shared. gspread has no base-URL setting, so ``session()`` gives a ``requests.Session`` that sends
``https://sheets.googleapis.com`` requests here instead.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

logger = logging.getLogger(__name__)

GOOGLE_SHEETS_URL = "https://sheets.googleapis.com"


@dataclass
class FakeSpreadsheet:
    spreadsheet_id: str
    title: str
    worksheets: dict[str, list[list[str]]]
    shared: bool = True


@dataclass
class FakeSheetsServer:
    """Spreadsheets in memory behind a local HTTP server on 127.0.0.1 and a free port."""

    spreadsheets: dict[str, FakeSpreadsheet] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)  # "GET /v4/…" in the order received
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    def add_spreadsheet(
        self,
        spreadsheet_id: str,
        worksheets: dict[str, list[list[str]]],
        *,
        title: str = "Two Peaks imports",
        shared: bool = True,
    ) -> None:
        """Hold a spreadsheet: worksheet title → rows of cell text (row 1 first)."""
        self.spreadsheets[spreadsheet_id] = FakeSpreadsheet(
            spreadsheet_id, title, worksheets, shared
        )

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def session(self) -> requests.Session:
        """A session sending Google Sheets requests to this server (close it when done)."""
        return RedirectedSession(GOOGLE_SHEETS_URL, self.base_url)

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop to notice
            name="fake-sheets",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeSheetsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for a GET of ``path`` (query string included)."""
        parts = urlsplit(path).path.split("/")
        # ["", "v4", "spreadsheets", id] or ["", "v4", "spreadsheets", id, "values", range]
        if len(parts) < 4 or parts[1:3] != ["v4", "spreadsheets"]:
            return _error(HTTPStatus.NOT_FOUND, "Requested entity was not found.")
        spreadsheet = self.spreadsheets.get(unquote(parts[3]))
        if spreadsheet is None:
            return _error(HTTPStatus.NOT_FOUND, "Requested entity was not found.")
        if not spreadsheet.shared:
            return _error(HTTPStatus.FORBIDDEN, "The caller does not have permission")
        if len(parts) == 4:
            return HTTPStatus.OK, _metadata(spreadsheet)
        if len(parts) == 6 and parts[4] == "values":
            return _values(spreadsheet, unquote(parts[5]))
        return _error(HTTPStatus.NOT_FOUND, "Requested entity was not found.")

    def answer_post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for a POST of ``body`` to ``path``."""
        parts = urlsplit(path).path.split("/")
        if len(parts) < 4 or parts[1:3] != ["v4", "spreadsheets"]:
            return _error(HTTPStatus.NOT_FOUND, "Requested entity was not found.")
        spreadsheet_id, _, method = unquote(parts[3]).partition(":")
        spreadsheet = self.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            return _error(HTTPStatus.NOT_FOUND, "Requested entity was not found.")
        if not spreadsheet.shared:
            return _error(HTTPStatus.FORBIDDEN, "The caller does not have permission")
        if len(parts) == 4 and method == "batchUpdate":
            return _batch_update(spreadsheet, body)
        if len(parts) == 6 and parts[4] == "values" and unquote(parts[5]).endswith(":append"):
            return _append(spreadsheet, unquote(parts[5]).removesuffix(":append"), body)
        return _error(HTTPStatus.NOT_FOUND, "Requested entity was not found.")


class RedirectedSession(requests.Session):
    """A ``requests.Session`` that rewrites one URL prefix to another (Google → local fake)."""

    def __init__(self, prefix: str, replacement: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.replacement = replacement

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(self.prefix):
            url = self.replacement + url.removeprefix(self.prefix)
        return super().request(method, url, *args, **kwargs)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() then waits for requests in flight

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        fake: FakeSheetsServer,
    ) -> None:
        super().__init__(address, handler)
        self.fake = fake


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        fake = self.server.fake
        fake.received.append(f"GET {self.path}")
        status, body = fake.answer(self.path)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        fake = self.server.fake
        fake.received.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        status, answer = fake.answer_post(self.path, body)
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("fake sheets: " + format, *args)


def _error(status: HTTPStatus, message: str) -> tuple[int, dict[str, Any]]:
    google_status = {
        HTTPStatus.BAD_REQUEST: "INVALID_ARGUMENT",
        HTTPStatus.FORBIDDEN: "PERMISSION_DENIED",
        HTTPStatus.NOT_FOUND: "NOT_FOUND",
    }[status]
    return status, {"error": {"code": int(status), "message": message, "status": google_status}}


def _metadata(spreadsheet: FakeSpreadsheet) -> dict[str, Any]:
    sheets = []
    for index, (title, rows) in enumerate(spreadsheet.worksheets.items()):
        sheets.append(
            {
                "properties": {
                    "sheetId": index * 1000 + 7,
                    "title": title,
                    "index": index,
                    "sheetType": "GRID",
                    "gridProperties": {
                        "rowCount": max(1000, len(rows)),
                        "columnCount": max([26, *(len(row) for row in rows)]),
                    },
                }
            }
        )
    return {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "properties": {"title": spreadsheet.title, "locale": "en_US", "timeZone": "Etc/GMT"},
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{spreadsheet.spreadsheet_id}/edit",
    }


def _values(spreadsheet: FakeSpreadsheet, range_name: str) -> tuple[int, dict[str, Any]]:
    title, a1 = _split_range(range_name)
    if title not in spreadsheet.worksheets:
        return _error(HTTPStatus.BAD_REQUEST, f"Unable to parse range: {range_name}")
    one_row = re.fullmatch(r"A(\d+):(\d+)", a1)
    if a1 and not (one_row and one_row.group(1) == one_row.group(2)):
        return _error(HTTPStatus.BAD_REQUEST, f"the fake serves whole sheets only: {range_name}")
    rows = [_trimmed(row) for row in spreadsheet.worksheets[title]]
    if one_row:
        number = int(one_row.group(1))
        row = rows[number - 1] if number <= len(rows) else []
        body = {"range": f"'{title}'!A{number}:{number}", "majorDimension": "ROWS"}
        return HTTPStatus.OK, body | ({"values": [row]} if row else {})
    while rows and not rows[-1]:
        rows.pop()
    width = max((len(row) for row in rows), default=1)
    body: dict[str, Any] = {
        "range": f"'{title.replace(chr(39), chr(39) * 2)}'!A1:{_column(width)}{max(len(rows), 1)}",
        "majorDimension": "ROWS",
    }
    if rows:
        body["values"] = rows
    return HTTPStatus.OK, body


def _split_range(range_name: str) -> tuple[str, str]:
    """``'Orders'!A1:B2`` → (``Orders``, ``A1:B2``); a quote inside a title is doubled."""
    if range_name.startswith("'"):
        index, letters = 1, []
        while index < len(range_name):
            char = range_name[index]
            if char == "'" and range_name[index + 1 : index + 2] == "'":
                letters.append("'")
                index += 2
            elif char == "'":
                return "".join(letters), range_name[index + 1 :].removeprefix("!")
            else:
                letters.append(char)
                index += 1
        return range_name, ""
    title, _, a1 = range_name.partition("!")
    return title, a1


def _trimmed(row: list[str]) -> list[str]:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return list(row[:end])


def _column(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _batch_update(spreadsheet: FakeSpreadsheet, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``addSheet`` requests only: each adds an empty worksheet and replies with its properties."""
    replies = []
    for request in body.get("requests", []):
        if "addSheet" not in request:
            return _error(HTTPStatus.BAD_REQUEST, f"the fake handles addSheet only: {request}")
        properties = request["addSheet"]["properties"]
        title = properties["title"]
        if title in spreadsheet.worksheets:
            return _error(
                HTTPStatus.BAD_REQUEST,
                f'Invalid requests[0].addSheet: A sheet with the name "{title}" already exists.',
            )
        index = len(spreadsheet.worksheets)
        spreadsheet.worksheets[title] = []
        replies.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": index * 1000 + 7,
                        "title": title,
                        "index": index,
                        "sheetType": "GRID",
                        "gridProperties": properties.get(
                            "gridProperties", {"rowCount": 1000, "columnCount": 26}
                        ),
                    }
                }
            }
        )
    return HTTPStatus.OK, {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}


def _append(
    spreadsheet: FakeSpreadsheet, range_name: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Rows added after the last non-empty row, cells as Google shows RAW values."""
    title, _ = _split_range(range_name)
    if title not in spreadsheet.worksheets:
        return _error(HTTPStatus.BAD_REQUEST, f"Unable to parse range: {range_name}")
    rows = spreadsheet.worksheets[title]
    while rows and not _trimmed(rows[-1]):
        rows.pop()
    first = len(rows) + 1
    added = [[_cell_text(value) for value in row] for row in body.get("values", [])]
    rows.extend(added)
    width = max((len(row) for row in added), default=1)
    updated = f"'{title}'!A{first}:{_column(width)}{first + len(added) - 1}"
    return HTTPStatus.OK, {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "tableRange": f"'{title}'!A1:{_column(width)}{max(first - 1, 1)}",
        "updates": {
            "spreadsheetId": spreadsheet.spreadsheet_id,
            "updatedRange": updated,
            "updatedRows": len(added),
            "updatedColumns": width,
            "updatedCells": sum(len(row) for row in added),
        },
    }


def _cell_text(value: Any) -> str:
    """How Google shows a RAW value when read back formatted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)
