"""Greedy decoding for the embedded model with the grammar checked on the chosen token first.

Every check asks for a reply at temperature 0 under a JSON-schema grammar. llama-cpp-python's sampler chain
applies the grammar to all ~151k vocabulary entries at every step before it takes the most likely token (and
passes the whole logits array through any Python logits processor). :class:`GreedyLlama` keeps the library's
prompt handling, chat template, grammar and KV-cache prefix reuse, and replaces only
:meth:`~llama_cpp.Llama.generate` for greedy calls: the most likely token (after the repeat penalty) is
checked against the grammar alone, and only if the grammar rejects it is the grammar applied to the whole
vocabulary, the order llama.cpp's own ``common_sampler`` uses. For greedy decoding the token chosen is the
same either way, so replies are byte-identical to the library's (``evals/decode_benchmark.py`` counts
them); the steps are about a fifth faster on 2 cores.

Anything but greedy decoding (a temperature, frequency or presence penalties, mirostat) and models with
recurrent state go to the library's own :meth:`generate`.
"""

from __future__ import annotations

import ctypes
from collections.abc import Generator, Iterable, Sequence
from typing import Any

import numpy as np
from llama_cpp import Llama, llama_cpp

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class GreedyGrammar:
    """Greedy choice of the next token under a llama.cpp grammar (or none), checking the argmax first.

    ``repeat_penalty`` works as llama.cpp's penalties sampler does with no frequency or presence penalty: a
    token among the last ``last_n`` accepted ones has its logit divided by the penalty (multiplied, if
    negative) before the choice. llama-cpp-python's chat completions default to 1.1.
    """

    def __init__(
        self, llm: Llama, grammar: Any | None, *, repeat_penalty: float = 1.0, last_n: int = 64
    ) -> None:
        self._n_vocab = llm.n_vocab()
        self._penalty = repeat_penalty
        self._last_n = last_n
        self._recent: list[int] = []
        self._sampler = (
            llama_cpp.llama_sampler_init_grammar(
                llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
            )
            if grammar is not None
            else None
        )
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_array = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        self._all: np.ndarray | None = None

    def choose(self, logits: np.ndarray) -> int:
        """The token greedy decoding takes from these logits under the grammar's current state."""
        if self._penalty != 1.0 and self._recent:
            logits = logits.copy()
            seen = np.unique(np.asarray(self._recent, dtype=np.intc))
            values = logits[seen]
            logits[seen] = np.where(values <= 0, values * self._penalty, values / self._penalty)
        token = int(np.argmax(logits))
        if self._sampler is None:
            return token
        self._one[0] = llama_cpp.llama_token_data(token, float(logits[token]), 0.0)
        self._one_array.size, self._one_array.selected, self._one_array.sorted = 1, -1, False
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(self._one_array))
        if np.isfinite(self._one[0].logit):
            return token
        if self._all is None:
            self._all = np.zeros(self._n_vocab, dtype=_TOKEN_DATA)
            self._all["id"] = np.arange(self._n_vocab, dtype=np.intc)
        self._all["logit"] = logits
        self._all["p"] = 0.0
        array = llama_cpp.llama_token_data_array(
            data=self._all.ctypes.data_as(llama_cpp.llama_token_data_p),
            size=self._n_vocab,
            selected=-1,
            sorted=False,
        )
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(array))
        return int(np.argmax(self._all["logit"]))

    def accept(self, token: int) -> None:
        """Advance the grammar (and the penalty's window) past ``token``."""
        if self._last_n > 0:
            self._recent.append(token)
            del self._recent[: -self._last_n]
        if self._sampler is not None:
            llama_cpp.llama_sampler_accept(self._sampler, token)

    def close(self) -> None:
        """Free the llama.cpp sampler."""
        if self._sampler is not None:
            llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None

    def __del__(self) -> None:
        self.close()


class GreedyLlama(Llama):
    """``llama_cpp.Llama`` whose greedy calls choose each token with :class:`GreedyGrammar`."""

    def generate(
        self, tokens: Sequence[int], *args: Any, **kwargs: Any
    ) -> Generator[int, Sequence[int] | None, None]:
        """The library's ``generate`` (same arguments): the reply's tokens, one at a time."""
        greedy = (
            not args
            and kwargs.get("temp", 0.8) == 0.0
            and kwargs.get("frequency_penalty", 0.0) == 0.0
            and kwargs.get("presence_penalty", 0.0) == 0.0
            and kwargs.get("mirostat_mode", 0) == 0
            and kwargs.get("reset", True)
            and not (self._is_recurrent or self._is_hybrid)
        )
        if not greedy:
            yield from super().generate(tokens, *args, **kwargs)
            return
        chooser = GreedyGrammar(
            self,
            kwargs.get("grammar"),
            repeat_penalty=kwargs.get("repeat_penalty", 1.0),
            last_n=self.last_n_tokens_size,
        )
        try:
            yield from self._greedy(
                list(tokens), chooser, kwargs.get("logits_processor"), kwargs.get("stopping_criteria")
            )
        finally:
            chooser.close()

    def _greedy(
        self, tokens: list[int], chooser: GreedyGrammar, processors: Any, stopping: Any
    ) -> Generator[int, Any, None]:
        # The longest prefix already in the KV cache is kept, as the library does; at least one prompt token
        # is decoded, for fresh logits.
        _keep_prefix(self, tokens)
        self.eval(tokens[self.n_tokens :])
        while True:
            ids = self._input_ids
            scores = np.ctypeslib.as_array(
                llama_cpp.llama_get_logits_ith(self._ctx.ctx, -1), shape=(self._n_vocab,)
            )
            # As in the library: the stopping criteria see the tokens so far (the chat template's end token
            # stops the reply) and each logits processor may change the scores.
            if stopping is not None and stopping(ids, scores):
                return
            for processor in processors or ():
                changed = processor(ids, scores)
                scores = scores if changed is None else changed
            token = chooser.choose(scores)
            chooser.accept(token)
            yield token
            if self.n_tokens >= self._n_ctx:
                return
            self.eval([token])


def _last_log_softmax(llm: Llama) -> np.ndarray:
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(llm.n_vocab(),))
    top = float(logits.max())
    return logits - (top + float(np.log(np.exp(logits - top).sum())))


def shared_prefix(a: Iterable[int], b: Iterable[int]) -> int:
    """How many leading tokens two sequences share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _keep_prefix(llm: Llama, tokens: Sequence[int]) -> None:
    """Drop the KV cache after the longest prefix of ``tokens`` it holds, leaving one token to decode."""
    keep = min(shared_prefix(llm._input_ids, tokens), len(tokens) - 1)
    if keep > 0 and llm._ctx.kv_cache_seq_rm(-1, keep, -1):
        llm.n_tokens = keep
    else:
        llm.reset()


def continuation_logprobs(
    llm: Llama, prefix: Sequence[int], continuations: Sequence[Sequence[int]]
) -> list[float]:
    """The log-probability the model gives each token sequence in ``continuations`` right after ``prefix``.

    The prefix is decoded once (what the KV cache already holds of it is kept, as generation does); each
    continuation is then decoded a token at a time from that point and the cache is cut back to the prefix.
    """
    if not prefix or any(not c for c in continuations):
        raise ValueError("a prefix and non-empty continuations are needed")
    tokens = list(prefix)
    _keep_prefix(llm, tokens)
    llm.eval(tokens[llm.n_tokens :])
    first = _last_log_softmax(llm)
    out: list[float] = []
    for continuation in continuations:
        total = float(first[continuation[0]])
        llm.n_tokens = len(tokens)
        for previous, token in zip(continuation, continuation[1:], strict=False):
            llm.eval([previous])
            total += float(_last_log_softmax(llm)[token])
        out.append(total)
    llm.n_tokens = len(tokens)
    llm._ctx.kv_cache_seq_rm(-1, len(tokens), -1)
    return out


def hidden_state(llm: Llama, prefix: Sequence[int]) -> list[float]:
    """The model's last hidden state (after its output norm: what the LM head reads) at the last token of
    ``prefix``.

    What the KV cache holds of the prefix is kept and the rest but the last token is decoded as usual; the
    last token is then decoded alone with llama.cpp's embeddings output switched on (a causal model pools
    nothing, so the output is that token's state) and the output is switched off again, so generation is as
    before. Decoding it alone makes the state the same whatever the cache held.
    """
    if not prefix:
        raise ValueError("a prefix is needed")
    tokens = list(prefix)
    _keep_prefix(llm, tokens)  # leaves at least the last token to decode
    llm.eval(tokens[llm.n_tokens : len(tokens) - 1])
    ctx = llm._ctx.ctx
    llama_cpp.llama_set_embeddings(ctx, True)
    try:
        llm.eval(tokens[-1:])
        pointer = llama_cpp.llama_get_embeddings_ith(ctx, -1)
        if not pointer:
            raise ValueError("the runtime gave no hidden state for the last token")
        return [float(v) for v in pointer[: llm.n_embd()]]
    finally:
        llama_cpp.llama_set_embeddings(ctx, False)


class PrefixStates:
    """Snapshots of llama.cpp's KV cache for the last few prompts read, so a second prompt does not evict
    the first.

    llama-cpp-python keeps one KV cache and reuses only what the next prompt shares with the last one. A
    check that also asks a second prompt (the pair question, ``assistant/judge/pairs.py``) alternates two
    fixed parts, and each switch would make the model read the other's again: some 600 tokens of the check
    prompt on every claim, 300 of the pair prompt on every claim. Before a prompt is read, :meth:`restore`
    snapshots what the cache holds if the new prompt is another one, and brings back the snapshot that
    shares the most with the new prompt, when it shares ``min_gain`` tokens more than the cache does. Only
    llama.cpp's own state is kept (about 28 KB a token), not llama-cpp-python's score rows: a restored
    prefix is always followed by at least one decoded token, as every caller here decodes the prompt's last
    token again.
    """

    def __init__(self, keep: int = 4, min_gain: int = 64) -> None:
        self.keep = keep
        self.min_gain = min_gain
        self._states: dict[tuple[int, ...], bytes] = {}
        #: Restores so far (a benchmark and the tests read it).
        self.restores = 0

    def restore(self, llm: Llama, tokens: Sequence[int]) -> None:
        """Make the KV cache hold the longest beginning of ``tokens`` that is at hand.

        When ``tokens`` shares less than ``min_gain`` tokens with what the cache holds (another prompt, not
        the next call of the same one), the cache is snapshotted first, so the prompt it held can come back.
        """
        held = shared_prefix(llm._input_ids, tokens)
        if held < self.min_gain:
            self._snapshot(llm)
        best, gain = None, 0
        for key in self._states:
            shared = shared_prefix(key, tokens)
            if shared > gain:
                best, gain = key, shared
        if best is None or gain < held + self.min_gain:
            return
        data = self._states.pop(best)
        self._states[best] = data  # the most recently used last
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(data)) != len(data):
            llm.reset()  # the cache is then empty, and the prompt is read whole
            return
        llm.input_ids[: len(best)] = best
        llm.n_tokens = len(best)
        # The logits are not restored: llama-cpp-python's own generate must decode before it samples.
        llm._requires_eval = True
        self.restores += 1

    def _snapshot(self, llm: Llama) -> None:
        key = tuple(int(t) for t in llm._input_ids)
        if len(key) < self.min_gain or key in self._states:
            return
        ctx = llm._ctx.ctx
        size = llama_cpp.llama_state_get_size(ctx)
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(ctx, buffer, size)
        self._states[key] = ctypes.string_at(buffer, written)  # one copy (slicing would build a list)
        while len(self._states) > self.keep:
            self._states.pop(next(iter(self._states)))
