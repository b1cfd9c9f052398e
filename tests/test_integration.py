"""The real embedded LLM and embedder on seed claims (marker ``integration``; runs in CI)."""

import socket

import pytest

from assistant.app import App
from assistant.config import resolve_settings
from assistant.ingest import ingest_paths
from assistant.judge.pairs import PairOdds
from assistant.schemas import VERDICTS

from .conftest import SEED, stage_pipeline

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    app = App(resolve_settings(home=home))
    report = ingest_paths(app.store, app.embeddings, [SEED])
    assert report.ok
    return app


def _assert_spans_exact(result, text):
    for st in result.statements:
        for ev in st.evidence:
            assert text[ev.start : ev.end] == ev.text
    for r in result.retrieved:
        assert text[r.start : r.end] == r.text


@pytest.mark.parametrize(
    ("claim", "gold_sentence"),
    [
        ("In 2023 Congress passed a law that stops a president from leaving NATO on his own.", 15),
        ("Mike Lee ist Senator aus Texas.", 1),
    ],
)
def test_real_check_on_seed_claims(app, seed_text, claim, gold_sentence):
    result = app.checker.check(claim)
    assert result.verdict in VERDICTS
    assert 1 <= len(result.statements) <= 3
    assert gold_sentence in [r.sentence_id for r in result.retrieved]
    _assert_spans_exact(result, seed_text)
    assert result.usage["completion_tokens"] > 0
    assert result.model.startswith("qwen2.5-coder-1.5b")


def test_real_answer_cites_exact_spans(app, seed_text):
    result = app.checker.answer("Wer ist der neue Chef der NATO?")
    assert result.prompt_version == "answer.v1"
    _assert_spans_exact(result, seed_text)


def test_default_mode_opens_no_network_connection(tmp_path, monkeypatch, seed_text):
    attempts = []
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"network access attempted: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(
        socket,
        "create_connection",
        lambda address, *a, **k: attempts.append(address) or (_ for _ in ()).throw(OSError()),
    )
    fresh = App(resolve_settings(home=tmp_path / "home"))
    assert ingest_paths(fresh.store, fresh.embeddings, [SEED]).ok
    result = fresh.checker.check("Elon Musk wants the USA to leave NATO.")
    _assert_spans_exact(result, seed_text)
    assert attempts == []


def test_real_runtime_decodes_several_hundred_tokens(tmp_path):
    """The multi-token batch decode that a non-portable build faults on (#12), in-process and in a child."""
    from assistant.llm.model_file import ensure_model
    from assistant.llm.runtime_check import PROBE_MIN_PROMPT_TOKENS, decode_probe, verify_runtime

    model = ensure_model(resolve_settings(home=tmp_path).model_dir)
    counts = decode_probe(str(model))
    assert counts["prompt_tokens"] >= PROBE_MIN_PROMPT_TOKENS
    assert counts["generated"] >= 1
    assert counts["n_past"] >= counts["prompt_tokens"]
    # The child process check, forced and with its cache in a fresh folder.
    assert verify_runtime(model, tmp_path / "checks", force=True) is True
    assert (tmp_path / "checks" / "runtime-checks.json").exists()


def test_fixed_prompt_prefix_is_evaluated_once(tmp_path):
    """llama.cpp's own counter: a second check decodes only what follows the shared system prompt (#15)."""
    fresh = App(resolve_settings(home=tmp_path / "home", cache="0"))
    assert ingest_paths(fresh.store, fresh.embeddings, [SEED]).ok
    fresh.checker.check("Mike Lee ist Senator aus Texas.")
    before = fresh.chat.chat_model.perf_counters()
    second = fresh.checker.check("Elon Musk wants the USA to leave NATO.")
    evaluated = fresh.chat.chat_model.perf_counters()["prompt_eval_tokens"] - before["prompt_eval_tokens"]
    assert 0 < evaluated < second.usage["prompt_tokens"]


def test_warming_reads_the_fixed_prompt_before_the_first_check(tmp_path):
    """After Checker.warm() (the chat does it while loading), the first check reads only its own part."""
    fresh = App(resolve_settings(home=tmp_path / "home", cache="0"))
    assert ingest_paths(fresh.store, fresh.embeddings, [SEED]).ok
    fresh.checker.warm()
    checker, chat = fresh.checker, fresh.chat.chat_model
    before = chat.perf_counters()
    first = checker.ask(checker.retrieve(checker.request("Mike Lee ist Senator aus Texas.", "claim")))
    evaluated = chat.perf_counters()["prompt_eval_tokens"] - before["prompt_eval_tokens"]
    assert 0 < evaluated < first.usage.prompt_tokens / 2  # the system part, most of the prompt, was read
    # The default pipeline's pair question (check.v19) was warmed too: its fixed part is not read again.
    before = chat.perf_counters()
    checker.judge(first)
    evaluated = chat.perf_counters()["prompt_eval_tokens"] - before["prompt_eval_tokens"]
    assert 0 < evaluated < chat.count_tokens(PairOdds().fixed_part())


@pytest.mark.parametrize("repeat_penalty", [1.0, 1.1])
def test_greedy_decoding_gives_the_library_reply(tmp_path, seed_text, repeat_penalty):
    """GreedyLlama chooses the tokens llama-cpp-python's sampler chain does, grammar and all (#15)."""
    from llama_cpp import Llama

    from assistant.llm.decoding import GreedyLlama
    from assistant.llm.model_file import ensure_model
    from assistant.prompts_loader import load_prompt
    from assistant.schemas import ModelCheckReply, reply_schema
    from assistant.sentences import split_sentences

    model = str(ensure_model(resolve_settings(home=tmp_path).model_dir))
    sentences = [{"number": n, "text": s.text} for n, s in enumerate(split_sentences(seed_text)[:4], 1)]
    prompts = [
        load_prompt("check.v1").render(claim=claim, sentences=sentences)
        for claim in ("Mike Lee ist Senator aus Texas.", "Elon Musk wants the USA to leave NATO and the UN.")
    ]
    schema = {"type": "json_object", "schema": reply_schema(ModelCheckReply)}
    replies: dict[str, list[str]] = {}
    for name, cls in (("library", Llama), ("greedy", GreedyLlama)):
        llm = cls(model_path=model, n_ctx=2048, n_threads=2, seed=0, verbose=False)
        replies[name] = [  # the second call reuses the first one's KV-cache prefix
            llm.create_chat_completion(
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                response_format=schema,
                temperature=0.0,
                repeat_penalty=repeat_penalty,
                max_tokens=200,
            )["choices"][0]["message"]["content"]
            for system, user in prompts
        ]
        del llm
    assert replies["greedy"] == replies["library"]
    assert all(ModelCheckReply.model_validate_json(r) for r in replies["greedy"])


def test_verdict_odds_score_the_reply_the_kv_cache_holds(tmp_path):
    """The verdict odds (the default's VerdictOdds stage): the prompt is tokenized as the chat completion did,
    so scoring the three verdicts after the reply decodes far fewer tokens than the prompt (#14); they are
    probabilities of the three."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from assistant.check import Checker
    from assistant.judge.odds import VerdictOdds
    from assistant.judge.scope import Scope

    fresh = App(resolve_settings(home=tmp_path / "home", cache="0"))
    assert ingest_paths(fresh.store, fresh.embeddings, [SEED]).ok
    pipeline = stage_pipeline(Scope(), VerdictOdds())
    checker, chat = (
        Checker(fresh.store, fresh.retriever, fresh.chat, pipeline=pipeline),
        fresh.chat.chat_model,
    )
    asked = checker.ask(checker.retrieve(checker.request("Mike Lee ist Senator aus Texas.", "claim")))
    llm = chat.load()
    prompt = chat._chat_prompt(llm, [SystemMessage(content=asked.system), HumanMessage(content=asked.user)])
    assert list(llm._input_ids[: len(prompt)]) == prompt
    before = chat.perf_counters()
    draft, _ = checker.judge(asked)
    after = chat.perf_counters()
    evaluated = after["prompt_eval_tokens"] + after["gen_tokens"]
    evaluated -= before["prompt_eval_tokens"] + before["gen_tokens"]
    assert 0 < evaluated < len(prompt) / 2
    for st in draft.statements:
        assert st.model_probabilities is not None
        assert set(st.model_probabilities) == set(VERDICTS)
        assert abs(sum(st.model_probabilities.values()) - 1) < 1e-3


def test_reply_states_are_read_where_the_verdict_begins_and_leave_generation_as_it_was(tmp_path):
    """The reply states (the default's ReplyStates stage, #14): one token decoded with llama.cpp's embeddings
    output on, at each verdict; read again from a cold cache the state is the same up to rounding, and the
    next reply is unchanged."""
    import numpy as np
    from langchain_core.messages import HumanMessage, SystemMessage

    from assistant.check import Checker
    from assistant.judge.odds import VerdictOdds, verdict_slots
    from assistant.judge.scope import Scope
    from assistant.judge.states import ReplyStates

    fresh = App(resolve_settings(home=tmp_path / "home", cache="0"))
    assert ingest_paths(fresh.store, fresh.embeddings, [SEED]).ok
    pipeline = stage_pipeline(Scope(), VerdictOdds(), ReplyStates())
    checker, chat = (
        Checker(fresh.store, fresh.retriever, fresh.chat, pipeline=pipeline),
        fresh.chat.chat_model,
    )
    request = checker.request("Mike Lee ist Senator aus Texas.", "claim")
    asked = checker.ask(checker.retrieve(request))
    draft, _ = checker.judge(asked)
    assert draft.statements and all(st.state is not None and len(st.state) == 1536 for st in draft.statements)
    chat.load().reset()  # nothing of the prompt in the KV cache: the state from a batch-decoded prompt
    messages = [SystemMessage(content=asked.system), HumanMessage(content=asked.user)]
    reply = asked.usage.reply
    first = draft.statements[0]
    assert first.position is not None
    cold = np.array(chat.reply_state(messages, reply[: verdict_slots(reply)[first.position]]))
    warm = np.array(first.state)
    assert float(cold @ warm / (np.linalg.norm(cold) * np.linalg.norm(warm))) > 0.999
    assert checker.ask(checker.retrieve(request)).usage.reply == reply


def test_pair_questions_keep_the_check_prompt_in_the_kv_cache(tmp_path):
    """check.v19's pair question is a second prompt (#14). The KV-cache snapshots (decoding.PrefixStates)
    bring the check prompt back after it, so the next claim reads only its own part, as without the pair
    question, and the pair answers are probabilities."""
    fresh = App(resolve_settings(home=tmp_path / "home", cache="0", pipeline="check.v19"))
    assert ingest_paths(fresh.store, fresh.embeddings, [SEED]).ok
    checker, chat = fresh.checker, fresh.chat.chat_model
    first = checker.draft("Mike Lee ist Senator aus Texas.")
    for st in first.statements:
        assert 0.0 <= st.measured["pair_supported"] <= 1.0 and 0.0 <= st.measured["pair_nei"] <= 1.0
    restores = chat._prefixes.restores
    before = chat.perf_counters()
    second = checker.ask(checker.retrieve(checker.request("Elon Musk wants the USA to leave NATO.", "claim")))
    evaluated = chat.perf_counters()["prompt_eval_tokens"] - before["prompt_eval_tokens"]
    assert chat._prefixes.restores == restores + 1
    assert 0 < evaluated < second.usage.prompt_tokens / 2
    assert second.statements  # a reply that parsed, from the restored cache
