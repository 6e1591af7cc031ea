"""A real Chroma server for the tests of ``CHROMA_URL``: ``chroma run``, the command the
chromadb package installs beside the interpreter, on 127.0.0.1 and a free port, its data in a
folder of its own; ready once its heartbeat answers.

Not a fake: the server is Chroma's own. ``copy_collection`` puts an embedded store's collection
on it as it is, vectors included, so that a test does not embed the help centre again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings

from integrations.vectorstore import MiniLMEmbeddingFunction
from tests.fakes.smtp_server import free_port

# Seconds the server has to answer its heartbeat (it starts in about one).
START_SECONDS = 60.0
# Records copied per request.
_BATCH = 1_000


class ChromaServerError(RuntimeError):
    """``chroma`` is not installed, or the server did not start; the message says why."""


def chroma_command() -> Path:
    """The ``chroma`` command beside this interpreter (the venv's), else on the PATH."""
    found = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if found is None:
        raise ChromaServerError(
            f"the `chroma` command is missing (not beside {sys.executable}, not on the PATH): "
            "install the project's dependencies, which include chromadb"
        )
    return Path(found)


class ChromaServer:
    """``chroma run --path FOLDER --port N`` as a context manager: entering waits for the
    heartbeat, leaving stops the server."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = folder / "chroma.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._client: ClientAPI | None = None

    def __enter__(self) -> ChromaServer:
        command = chroma_command()
        self._folder.mkdir(parents=True, exist_ok=True)
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    str(command),
                    "run",
                    "--path",
                    str(self._folder / "data"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_for_heartbeat()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop()

    def client(self) -> ClientAPI:
        """chromadb's HTTP client on this server (one, kept)."""
        if self._client is None:
            self._client = chromadb.HttpClient(
                host="127.0.0.1",
                port=self.port,
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        return self._client

    def clear(self) -> None:
        """Delete every collection: each test starts on an empty server."""
        client = self.client()
        for collection in client.list_collections():
            client.delete_collection(collection.name)

    def copy_collection(self, folder: Path, name: str) -> int:
        """Copy the collection ``name`` of the embedded store in ``folder`` onto this server
        (ids, texts, metadata and vectors, in cosine space as the adapter makes them);
        returns how many records."""
        # The adapter's embedding function, named in the collection's configuration as the
        # adapter names it (Chroma refuses a collection opened with another function).
        embedding = MiniLMEmbeddingFunction()
        source = chromadb.PersistentClient(
            path=str(folder), settings=ChromaSettings(anonymized_telemetry=False)
        ).get_collection(name, embedding_function=embedding)  # type: ignore[arg-type]
        records = source.get(include=["documents", "metadatas", "embeddings"])
        target = self.client().create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=embedding,  # type: ignore[arg-type]
        )
        ids, documents = records["ids"], records["documents"]
        metadatas, embeddings = records["metadatas"], records["embeddings"]
        assert documents is not None and metadatas is not None and embeddings is not None
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            target.add(
                ids=ids[start:end],
                documents=documents[start:end],
                metadatas=metadatas[start:end],
                embeddings=embeddings[start:end],
            )
        return len(ids)

    def _wait_for_heartbeat(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self._process.poll() is not None:
                raise ChromaServerError(
                    f"`chroma run` exited ({self._process.returncode}):\n{self._log_tail()}"
                )
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ChromaServerError(
                    f"`chroma run` did not answer on {self.url} within {START_SECONDS:g} s:\n"
                    f"{self._log_tail()}"
                )
            time.sleep(0.2)

    def _log_tail(self) -> str:
        return self._log.read_text(errors="replace")[-3000:]

    def _stop(self) -> None:
        self._client = None
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
