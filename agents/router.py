"""The deterministic router: which specialists a free-text request needs, without a model.

It is the supervisor's fallback when no language model is configured (and when the model's
routing fails). Each specialist has a lexicon of weighted patterns in the team's words; a
specialist is chosen when its cues add up to at least one full cue. A request that asks to
*start* a win-back needs all three of the win-back's specialists. A request with no cue is
routed like its most similar labelled example (``routing_examples.yaml``, compared by sentence
embeddings) when one is similar enough, and otherwise gets help, not a guess.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import yaml

Specialist = Literal["marketing", "finance", "insights", "support"]
SPECIALISTS: tuple[Specialist, ...] = ("marketing", "finance", "insights", "support")

_THRESHOLD = 1.0
# How similar (cosine, all-MiniLM-L6-v2) a request must be to an example to be routed like it;
# chosen on requests kept apart from the examples before they were added to them.
MIN_EXAMPLE_SIMILARITY = 0.3
EXAMPLES_FILE = Path(__file__).with_name("routing_examples.yaml")

Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]

# (pattern, weight): a weight of 1 is enough on its own, 0.5 only with another cue.
_LEXICON: dict[Specialist, tuple[tuple[str, float], ...]] = {
    "marketing": (
        (r"\bemails?\b(?! address)", 1.0),
        (r"\bchannels?\b", 1.0),
        (r"\bcampaigns?\b", 1.0),
        (r"\bsubject lines?\b", 1.0),
        (r"\bnewsletters?\b", 1.0),
        (r"\bcopy\b|\bcaptions?\b|\btaglines?\b|\bslogans?\b", 1.0),
        (r"\bpromos?\b|\bpromotions?\b", 1.0),
        (r"\bads?\b|\badverts?\b|\badvertising\b", 1.0),
        (r"\bpaid (search|social)\b|\baffiliates?\b|\binstagram\b|\bfacebook\b|\btiktok\b", 1.0),
        (r"\bseo\b|\bgoogle ads\b|\bclicks?\b|\bimpressions?\b|\bctr\b", 1.0),
        (r"\broas\b|\breturn on ad spend\b", 1.0),
        (r"\bheadlines?\b|\bblurbs?\b|\bcopywriting\b|\bsocial posts?\b|\bbrand\b", 1.0),
        (r"\bgoogle\b|\bmeta\b|\bopen rates?\b|\bclick rates?\b|\bunsubscribes?\b", 1.0),
        (r"\bconver(ted|sions?|ts)\b|\baudiences?\b|\bmarketing\b(?! spend)", 1.0),
        (r"\bacquisition\b|\blaunch\b|\bannouncement\b", 0.5),
        (r"\bdraft\b|\bwrite\b|\bsuggest\b|\bideas?\b", 0.5),
    ),
    "finance": (
        (r"\brevenue\b|\bsales\b|\bturnover\b|\bincome\b|\btakings\b", 1.0),
        (r"\b(take|took|bring|brought|make|made|earn|earned) in\b|\bdid we (make|earn)\b", 1.0),
        (r"\bkpis?\b|\bmetrics\b|\bnumbers for\b", 1.0),
        (r"\bforecasts?\b|\bprojected\b|\bprojections?\b|\bwill we (make|sell)\b", 1.0),
        (r"\baov\b|\baverage order( value)?\b|\bbasket size\b", 1.0),
        (r"\bhow many orders\b|\borders? (count|volume)\b|\borders did we\b", 1.0),
        (r"\broi\b|\bprofit(able|ability)?\b|\bmargins?\b|\bpayback\b", 1.0),
        (r"\b(offer|discount|campaign|promo)s? (would |will )?(return|pay off|be worth)", 1.0),
        (r"\bcac\b|\bcost (per|of) acquisition\b|\bmarketing spend\b|\bbudget\b", 1.0),
        (r"\bnew vs\.? returning\b|\brepeat rate\b|\bweek over week\b|\bwow\b", 1.0),
        (r"\bp ?& ?l\b|\bearnings\b|\bgross\b|\bcash\b|\boutlook\b|\bgrowth rate\b", 1.0),
        (r"\bbusiness (doing|going)\b|\bhow are we doing\b|\bweekly numbers\b", 1.0),
        (r"\b(weekly|monthly|headline) (numbers|figures|results)\b|\bthe numbers\b", 1.0),
        (r"\bup or down\b|\bhow much\b|\bbasket\b|\bprices?\b(?! match)", 0.5),
        (r"\brefunds?\b|\bspend\b|\bcost\b", 0.5),
    ),
    "insights": (
        (r"\bchurn(ing|ed)?\b|\bat[- ]risk\b|\babout to (leave|churn)\b", 1.0),
        (r"\bsegments?\b|\brfm\b|\bchampions\b|\bloyal customers\b|\bcan'?t lose them\b", 1.0),
        (r"\bhibernating\b|\babout to sleep\b|\bneed attention\b|\bpotential loyalists\b", 1.0),
        (r"\bcohorts?\b|\bretention\b|\bretain(ed|ing)?\b|\bkeeping the customers\b", 1.0),
        (r"\blaps(ed|ing)\b|\binactive\b|\bdormant\b|\bstill active\b|\bp\(alive\)", 1.0),
        (r"\bhas ?n'?t (ordered|bought|purchased)\b", 1.0),
        (r"\bhave ?n'?t (ordered|bought|purchased)\b", 1.0),
        (r"\blifetime value\b|\bclv\b|\bltv\b|\bcustomer base\b", 1.0),
        (
            r"\b(best|top|most valuable|vip|repeat|loyal|one-?time) (customers|buyers|shoppers)\b",
            1.0,
        ),
        (r"\bstopped (buying|ordering|shopping)\b|\bslipping( away)?\b|\bdrifting\b", 1.0),
        (r"\b(losing|lose|lost|keep(ing)?) (our |the |any )?(customers|buyers|shoppers)\b", 1.0),
        (r"\b(big |top |biggest )?spenders\b|\bwhales\b|\bheavy buyers\b", 1.0),
        (r"\blikely to (leave|buy|return|come back)\b|\bcome back\b", 1.0),
        (r"\bpurchase frequency\b|\brecency\b|\bbehaviou?r\b|\bsignups?\b", 1.0),
        (r"\bmoved (from|to)\b|\bshrinking\b|\bgr[eo]w(ing|n)?\b|\bcustomers\b", 0.5),
    ),
    "support": (
        (r"\breturn (policy|window|label|it|them|my|an|a|the|worn|used)\b|\breturns\b", 1.0),
        (r"\brefund policy\b|\bexchanges?\b|\bsend (it|them) back\b", 1.0),
        (r"\bship(ping|ped|s)?\b(?! to us)|\bdelivery\b|\btracking\b", 1.0),
        (r"\bwarranty\b|\brepairs?\b|\bbr(oke|oken|eaks?)\b|\bdamaged\b|\bdefect(ive)?\b", 1.0),
        (r"\bzippers?\b|\bsoles?\b|\bseams?\b|\bripped\b|\btorn\b|\bleak(s|ing)?\b", 1.0),
        (r"\bprice match\b|\bstock\b|\bback in stock\b|\bstores?\b|\bpick ?up\b", 1.0),
        (r"(?<!basket )\bsizes?\b|\bsizing\b|\bfits?\b|\btrue to size\b", 1.0),
        (r"\b(wash|clean|care for|waterproof|re-?proof)\b", 1.0),
        (r"\b(change|cancel|update) (the )?(address|order)\b|\bon an order\b", 1.0),
        (r"\bmy order\b|\border arrived\b|\bwhere is my\b", 1.0),
        (r"\bpayment methods?\b|\bpay with\b|\bgift cards?\b|\bpaypal\b|\bklarna\b", 1.0),
        (r"\b(delete|close) (my |the |an )?account\b|\bpassword\b|\bprivacy\b|\bgdpr\b", 1.0),
        (r"\bloyalty points?\b|\bpoints work\b|\brewards?\b", 1.0),
        (r"\b(promo|discount|coupon|gift|voucher) codes?\b|\bcoupons?\b", 1.0),
        (r"\bemail address\b|\bunsubscribe me\b|\blog ?in\b|\bsign in\b", 1.0),
        (r"\bsupport tickets?\b|\btickets?\b|\bescalations?\b", 1.0),
        (r"\bcustomer (asks|asked|wants|says|said)\b|\bwhat do i tell\b", 1.0),
        (r"^(do|can|does|will|how do) (you|i|we)\b|\bmy\b", 0.5),
    ),
}

# Starting a win-back takes Insights (who), Marketing (drafts) and Finance (offer and ROI).
_WINBACK_ACTION = re.compile(
    r"\b(draft|start|run|launch|create|send|plan|set up|kick off)\b.*\bwin[- ]?back\b"
    r"|\bre-?engage\b|\breactivat(e|ion)\b|\bwin (them|customers) back\b",
    re.IGNORECASE,
)

_COMPILED = {
    agent: tuple((re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in cues)
    for agent, cues in _LEXICON.items()
}


@dataclass(frozen=True, slots=True)
class Route:
    """The specialists a request needs (empty: answer with help) and the cues that chose them."""

    agents: tuple[Specialist, ...]
    cues: tuple[str, ...]

    @property
    def needs_help(self) -> bool:
        return not self.agents


@dataclass(frozen=True, slots=True)
class Example:
    request: str
    agents: tuple[Specialist, ...]


def load_examples(path: Path = EXAMPLES_FILE) -> list[Example]:
    """The labelled requests, empty ones (help) left out: they are nobody's nearest example."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Example(request=row["request"], agents=tuple(row["agents"]))
        for row in rows
        if row["request"].strip()
    ]


class Router:
    """Cues first; without any, the nearest labelled example (embedded on first use)."""

    def __init__(
        self,
        examples: Sequence[Example] = (),
        embed: Embed | None = None,
        *,
        min_similarity: float = MIN_EXAMPLE_SIMILARITY,
    ) -> None:
        self._examples = list(examples)
        self._embed = embed
        self._min_similarity = min_similarity
        self._vectors: npt.NDArray[np.float32] | None = None
        self._lock = threading.Lock()

    def route(self, request: str) -> Route:
        by_cues = route_request(request)
        if by_cues.agents or not request.strip() or self._embed is None or not self._examples:
            return by_cues
        query = self._embed([request])[0]
        similarities = self._example_vectors() @ query
        best = int(np.argmax(similarities))
        if similarities[best] < self._min_similarity:
            return by_cues
        example = self._examples[best]
        cue = f"like {example.request!r} (similarity {similarities[best]:.2f})"
        return Route(agents=_in_order(example.agents), cues=(cue,))

    def _example_vectors(self) -> npt.NDArray[np.float32]:
        with self._lock:
            if self._vectors is None:
                assert self._embed is not None
                self._vectors = self._embed([example.request for example in self._examples])
            return self._vectors


def _in_order(agents: Sequence[Specialist]) -> tuple[Specialist, ...]:
    return tuple(agent for agent in SPECIALISTS if agent in agents)


def route_request(request: str) -> Route:
    """Choose specialists for ``request`` by its cues alone, in a stable order."""
    text = " ".join(request.split()).replace("’", "'")
    if not text:
        return Route(agents=(), cues=())
    chosen: list[Specialist] = []
    cues: list[str] = []
    winback = _WINBACK_ACTION.search(text)
    if winback:
        cues.append(f"win-back: {winback.group(0)!r}")
    for agent in SPECIALISTS:
        score = 0.0
        for pattern, weight in _COMPILED[agent]:
            found = pattern.search(text)
            if found:
                score += weight
                cues.append(f"{agent}: {found.group(0)!r}")
        if score >= _THRESHOLD or (winback and agent != "support"):
            chosen.append(agent)
    return Route(agents=tuple(chosen), cues=tuple(cues))
