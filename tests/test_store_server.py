"""The store contract against a real Chroma server, plus what only a server can do: go away mid-ingest."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from assistant import store_client
from assistant.documents import load_document
from assistant.errors import EndpointError
from assistant.ingest import ingest_document
from assistant.store import SentenceStore

from .conftest import SEED
from .servers import HOST, ChromaServer, chroma_executable, chroma_server, closed_port_url, has_chroma
from .test_store import StoreContract

pytestmark = pytest.mark.skipif(
    not has_chroma(), reason=f"no chroma command at {chroma_executable()} (install chromadb in the venv)"
)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as url:
        yield url


def _namespace() -> str:
    return f"t{uuid.uuid4().hex[:12]}-"


class TestServerStore(StoreContract):
    @pytest.fixture
    def new_store(self, chroma_url):
        return SentenceStore(chroma_url, "fake", namespace=_namespace())


def test_server_retrieval_equals_embedded_retrieval(chroma_url, tmp_path, fake_embeddings):
    seed = load_document(SEED)
    embedded = SentenceStore(str(tmp_path / "chroma"), "fake")
    server = SentenceStore(chroma_url, "fake", namespace=_namespace())
    for store in (embedded, server):
        ingest_document(store, seed, fake_embeddings.embed_documents)
    queries = [
        "Mike Lee ist Senator aus Utah",
        "Kongress Gesetzesergänzung 2023",
        "Mark Rutte NATO",
        "Elon Musk",
        "etwas ganz anderes",
    ]
    for query in queries:
        vector = fake_embeddings.embed_query(query)
        a, b = embedded.search(vector, k=8), server.search(vector, k=8)
        assert len(a) == 8
        assert [(h.doc_id, h.sentence_id, h.start, h.end, h.text) for h in a] == [
            (h.doc_id, h.sentence_id, h.start, h.end, h.text) for h in b
        ], query
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-5)
    assert embedded.sentences_of(seed.doc_id) == server.sentences_of(seed.doc_id)


def test_server_gone_mid_ingest_then_back(tmp_path, fake_embeddings):
    server = ChromaServer(tmp_path / "data")
    with server:
        store = SentenceStore(server.url, "fake")
        p = tmp_path / "long.txt"
        p.write_text(" ".join(f"Satz Nummer {i} über die NATO." for i in range(10)), encoding="utf-8")
        doc = load_document(p)
        calls = {"n": 0}

        def embed_then_stop(texts):
            calls["n"] += 1
            if calls["n"] == 2:  # the first batch is stored; the server dies before the second
                server.stop()
            return fake_embeddings.embed_documents(texts)

        t0 = time.monotonic()
        with pytest.raises(EndpointError) as err:
            ingest_document(store, doc, embed_then_stop, batch_size=4)
        assert time.monotonic() - t0 < 60
        message = str(err.value)
        assert "\n" not in message and f"Chroma server at {server.url}" in message

        server.start()  # same port, same data folder
        outcome = ingest_document(store, doc, fake_embeddings.embed_documents, batch_size=4)
        assert outcome.action in ("added", "replaced")
        stored = store.get_document(doc.doc_id)
        assert stored is not None and stored.sha256 == doc.sha256
        assert store.count_sentences() == stored.n_sentences == outcome.n_sentences == 10
        sentences = store.sentences_of(doc.doc_id)
        assert [s.sentence_id for s in sentences] == list(range(10))
        assert all(doc.text[s.start : s.end] == s.text for s in sentences)
        # a fresh client sees the same committed state
        assert SentenceStore(server.url, "fake").count_sentences() == 10


def test_unreachable_server_is_a_clear_error(fake_embeddings):
    url = closed_port_url()
    t0 = time.monotonic()
    with pytest.raises(EndpointError, match=f"Chroma server at {url} is unreachable"):
        SentenceStore(url, "fake")
    assert time.monotonic() - t0 < 30


@pytest.mark.timeout(20)
def test_a_server_that_never_answers_is_an_error_not_a_hang(monkeypatch):
    monkeypatch.setattr(store_client, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as listener:  # accepts connections (the kernel does) and never answers
        listener.bind((HOST, 0))
        listener.listen()
        url = f"http://{HOST}:{listener.getsockname()[1]}"
        t0 = time.monotonic()
        with pytest.raises(EndpointError, match=f"Chroma server at {url} is unreachable"):
            SentenceStore(url, "fake")
        assert time.monotonic() - t0 < 10
