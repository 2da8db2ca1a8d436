"""A compiled workflow: an immutable value the engine runs demands through."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from schemas.workflow import AutoStep, HumanStep, StartStep, WorkflowSpec


@dataclass(frozen=True)
class CompiledWorkflow:
    """The spec, its generated step input models, its diagram and its content hash.

    Demands store (id, version, hash); the hash is of the canonical spec, so reformatting
    or commenting a file does not make a new version.
    """

    spec: WorkflowSpec
    file: str
    content_hash: str
    inputs: Mapping[str, type[BaseModel]]
    mermaid: str
    _auto: Mapping[str, tuple[str, AutoStep]] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    # this workflow in other languages, made once each (in_language); not part of the value
    _languages: dict[str, CompiledWorkflow] = field(default_factory=dict, repr=False, compare=False)
    _source: CompiledWorkflow | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.spec.id

    def in_language(self, language: str) -> CompiledWorkflow:
        """The same workflow with its words in `language` where its `en:` gives them (the rest
        reads in Chinese): another immutable value, the same version and hash, for a reader
        who chose that language. Only words change, never what the workflow does."""
        if language != "en" or self.spec.en is None:
            return self
        found = self._languages.get(language)
        if found is None:
            spec = _translated(self.spec)
            auto = MappingProxyType({state: (name, step) for state, (name, _) in self._auto.items()
                                     if isinstance(step := spec.steps[name], AutoStep)})
            found = self._languages[language] = replace(self, spec=spec, _auto=auto, _languages={}, _source=self)
        return found

    @property
    def source(self) -> CompiledWorkflow:
        """This workflow in its own words (Chinese), whatever language it was read in: for what
        is written down for everyone (a message's text)."""
        return self._source or self

    def step(self, name: str) -> StartStep | HumanStep | AutoStep | None:
        """The step called `name`, or None."""
        return self.spec.steps.get(name)

    def start_steps(self) -> dict[str, StartStep]:
        return {n: s for n, s in self.spec.steps.items() if isinstance(s, StartStep)}

    def human_steps_from(self, state: str) -> dict[str, HumanStep]:
        """The human steps that may be taken while a demand is in `state`."""
        return {n: s for n, s in self.spec.steps.items() if isinstance(s, HumanStep) and state in s.sources}

    def auto_step_from(self, state: str) -> tuple[str, AutoStep] | None:
        """The automated step due when a demand reaches `state`, if any."""
        return self._auto.get(state)

    def is_terminal(self, state: str) -> bool:
        spec = self.spec.states.get(state)
        return bool(spec and spec.terminal)

    def outcome(self, state: str) -> str | None:
        """What reaching `state` means: done, cancelled or rejected; None while the demand goes on."""
        spec = self.spec.states.get(state)
        if spec is None or not spec.terminal:
            return None
        return spec.outcome or "done"

    def may_come(self, step: str, state: str) -> bool:
        """Whether `step` can still be taken by a demand now in `state` (now or after other
        steps): a cancelled activity's sign-in QR code is no use to anyone."""
        spec = self.spec.steps.get(step)
        if not isinstance(spec, HumanStep | AutoStep):
            return False
        seen = self.reachable({state})
        return any(source in seen for source in spec.sources)

    def reachable(self, states: set[str]) -> set[str]:
        """The states a demand in any of `states` is in or may come to, by any steps."""
        seen, todo = set(), list(states)
        while todo:
            here = todo.pop()
            if here in seen:
                continue
            seen.add(here)
            todo += [s.to for s in self.spec.steps.values()
                     if isinstance(s, HumanStep | AutoStep) and here in s.sources and s.to is not None]
        return seen

    def ends(self, step: str) -> bool:
        """Whether taking `step` leaves a person nothing more to do: the demand ends, at once or
        through automated steps only (结算积分 → 结算中 → 已结束). It cannot be undone, so the
        portal asks before a tap sends it."""
        spec = self.spec.steps.get(step)
        if not isinstance(spec, HumanStep) or spec.to is None:
            return False  # a step that leaves the demand where it is ends nothing
        seen: set[str] = set()
        todo = [spec.to]
        while todo:
            state = todo.pop()
            if state in seen or self.is_terminal(state):
                seen.add(state)
                continue
            seen.add(state)
            if self.human_steps_from(state):
                return False
            auto = self.auto_step_from(state)
            if auto is not None:
                todo.append(auto[1].to)
        return any(self.is_terminal(state) for state in seen)

    def asks_first(self, step: str) -> bool:
        """Whether the portal asks before a tap sends `step`: it ends the demand, or it gives
        back places others hold (放弃抢单 takes the organisation's members' places with it)."""
        spec = self.spec.steps.get(step)
        return self.ends(step) or (isinstance(spec, HumanStep) and spec.record == "give_up")

    def ends_unserved(self, step: str) -> bool:
        """Whether taking `step` ends the demand at once without its service (cancelled,
        rejected): the portal shows it as the lesser choice."""
        spec = self.spec.steps.get(step)
        target = spec.to if isinstance(spec, HumanStep) else None
        return target is not None and self.is_terminal(target) and not self.is_done(target)

    def is_done(self, state: str) -> bool:
        """Whether `state` is a successful ending (counted as done by the figures)."""
        return self.outcome(state) == "done"

    @property
    def figure(self) -> str:
        """What the figures count this workflow's done demands as: its category, except that
        one whose start books a shared resource counts as 资源共享, not as the category it is
        filed under (a resource request is filed with appointments; counted with them, 预约服务
        was 85 where 29 bookings were done, the walk)."""
        if any(step.record == "resource_booking" for step in self.start_steps().values()):
            return "resource"
        return self.spec.category

    def states_with_outcome(self, outcome: str) -> list[str]:
        """The terminal states that mean `outcome`, in the order the workflow names them."""
        return [name for name in self.spec.states if self.outcome(name) == outcome]

    def state_title(self, state: str) -> str:
        spec = self.spec.states.get(state)
        return spec.title if spec else state

    def waiting_step(self, state: str) -> tuple[str, HumanStep] | None:
        """The step a demand in `state` waits for (the first with an SLA, else the first)."""
        steps = self.human_steps_from(state)
        with_sla = [(n, s) for n, s in steps.items() if s.sla]
        candidates = with_sla or list(steps.items())
        return candidates[0] if candidates else None


def build(spec: WorkflowSpec, file: str, content_hash: str, inputs: dict[str, type[BaseModel]],
          mermaid: str) -> CompiledWorkflow:
    """Freeze the parts into one value."""
    auto = {s.from_: (n, s) for n, s in spec.steps.items() if isinstance(s, AutoStep)}
    return CompiledWorkflow(spec=spec, file=file, content_hash=content_hash, inputs=MappingProxyType(dict(inputs)),
                            mermaid=mermaid, _auto=MappingProxyType(auto))


def _words(spec: Any, words: Any) -> dict[str, Any]:
    """The title and help `words` gives, as an update of `spec`."""
    return {key: getattr(words, key) for key in ("title", "help") if getattr(words, key, None) is not None
            and hasattr(spec, key)}


def _translated(spec: WorkflowSpec) -> WorkflowSpec:
    """`spec` with the words of its `en:` in place (model_copy: the compiled spec is not
    validated again, and nothing but words is touched)."""
    en = spec.en
    assert en is not None
    states = {name: state.model_copy(update=_words(state, en.states[name])) if name in en.states else state
              for name, state in spec.states.items()}
    steps: dict[str, Any] = {}
    for name, step in spec.steps.items():
        words = en.steps.get(name)
        if words is None:
            steps[name] = step
            continue
        update = _words(step, words)
        form = getattr(step, "form", None)
        if form:
            fields = {}
            for field_name, f in form.items():
                changed = _words(f, words.fields[field_name]) if field_name in words.fields else {}
                if field_name in words.choices and getattr(f, "choices", None):
                    changed["choices"] = {key: words.choices[field_name].get(key, label)
                                          for key, label in f.choices.items()}
                fields[field_name] = f.model_copy(update=changed) if changed else f
            update["form"] = fields
        steps[name] = step.model_copy(update=update)
    top = {key: getattr(en, key) for key in ("title", "description") if getattr(en, key) is not None}
    return spec.model_copy(update={**top, "states": states, "steps": steps})
