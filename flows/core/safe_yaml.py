"""Admin YAML is data: parse it with the safe composer, keep every node's position, and
refuse what would surprise (tags, merge keys, duplicate keys, alias bombs, deep nesting,
huge files, bad encoding) with a problem that names the line and column — never a traceback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[Any, ...]

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where, which kind (a message code) and its details."""

    file: str
    line: int
    column: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class YamlRejected(Exception):
    """The text is not acceptable YAML for Yijia; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


@dataclass
class Loaded:
    """Plain data plus the (line, column) of each path in it, for pointing at errors."""

    data: Any
    positions: dict[Path, tuple[int, int]]
    file: str
    # The text as typed of scalars YAML 1.1 reads as booleans (`yes`, `no`, `on`, `off`), so a
    # message can say "write it in quotes" with the admin's own word.
    bool_texts: dict[Path, str] = field(default_factory=dict)

    def path_of(self, loc: Path) -> Path:
        """The data path a validation error's location points at (union tags skipped)."""
        node, path = self.data, cast(Path, ())
        for part in loc:
            if isinstance(node, dict) and part in node:
                node, path = node[part], path + (part,)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node, path = node[part], path + (part,)
        return path

    def locate(self, loc: Path) -> tuple[int, int]:
        """Best position for a validation error's location: the deepest path that exists.

        Pydantic's locations include union tags (`human`, `number`) that are not keys of the
        data; those are skipped by walking the data alongside.
        """
        path: tuple[str | int, ...] = ()
        node, best = self.data, self.positions.get(path, (1, 1))
        for part in loc:
            if isinstance(node, dict) and part in node:
                node, path = node[part], path + (part,)
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node, path = node[part], path + (part,)
            else:
                continue
            best = self.positions.get(path, best)
        return best


class _Walker:
    """Builds plain data from composed nodes, with limits, recording positions."""

    def __init__(self, file: str, max_depth: int, max_nodes: int):
        self.file, self.max_depth, self.max_nodes = file, max_depth, max_nodes
        self.nodes = 0
        self.positions: dict[Path, tuple[int, int]] = {}
        self.bool_texts: dict[Path, str] = {}
        self.constructor = SafeConstructor()

    def fail(self, node: Node, code: str, **params: Any) -> YamlRejected:
        if isinstance(params.get("tag"), str):
            params["tag"] = params["tag"].replace("tag:yaml.org,2002:", "!!")
        mark = node.start_mark
        return YamlRejected([Problem(self.file, mark.line + 1, mark.column + 1, code, params)])

    def walk(self, node: Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise self.fail(node, "yaml.too_many_nodes", limit=self.max_nodes)
        if depth > self.max_depth:
            raise self.fail(node, "yaml.too_deep", limit=self.max_depth)
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(node, "yaml.tag", tag=node.tag)
            return [self.walk(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        raise self.fail(node, "yaml.syntax", detail=type(node).__name__)

    def scalar(self, node: ScalarNode, path: Path | None = None) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value  # dates stay text; the schema decides what they mean
        if node.tag not in _SCALAR_TAGS:
            raise self.fail(node, "yaml.tag", tag=node.tag)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError) as exc:
            raise self.fail(node, "yaml.syntax", detail=str(exc).splitlines()[0]) from None
        if isinstance(value, bool) and path is not None and node.value.lower() not in ("true", "false"):
            self.bool_texts[path] = node.value
        if isinstance(value, str) and _SURROGATE.search(value):
            value = self.joined(node, value)
        return value

    def joined(self, node: ScalarNode, value: str) -> str:
        """JSON writes 🌟 as the escaped pair \\ud83c\\udf1f, which YAML reads as two halves:
        join each pair into its character; a half on its own is an error."""
        try:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            lone = _SURROGATE.search(value)
            raise self.fail(node, "yaml.surrogate", char=f"\\u{ord(lone.group()):04x}" if lone else "?") from None

    def mapping(self, node: MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        if node.tag != _MAP:
            raise self.fail(node, "yaml.tag", tag=node.tag)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "yaml.merge")
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "yaml.complex_key")
            key = self.scalar(key_node)
            if isinstance(key, bool):
                raise self.fail(key_node, "yaml.bool_key", key=str(key).lower(), text=key_node.value)
            if not isinstance(key, (str, int)):
                raise self.fail(key_node, "yaml.key_type", key=repr(key))
            if key in result:
                first = self.positions[path + (key,)]
                raise self.fail(key_node, "yaml.duplicate_key", key=key, first_line=first[0])
            self.positions[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.walk(value_node, path + (key,), depth + 1)
        return result


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlRejected([Problem(file, line, column, "yaml.encoding", {"byte": f"0x{raw[exc.start]:02x}"})]) from None



# PyYAML's problem (English, its own words) → our sentence for it; anything else stays
# yaml.syntax with the parser's words, located by line and column all the same.
SAID: tuple[tuple[str, str], ...] = (
    ("mapping values are not allowed", "yaml.colon_in_value"),
    ("could not find expected ':'", "yaml.no_colon"),
    ("did not find expected '-' indicator", "yaml.list_indent"),
    ("did not find expected key", "yaml.indent"),
    ("expected <block end>", "yaml.indent"),
    ("found unexpected end of stream", "yaml.unclosed"),
    ("that cannot start any token", "yaml.bad_start"),
    ("expected ',' or ']'", "yaml.flow_unclosed"),
    ("expected ',' or '}'", "yaml.flow_unclosed"),
    ("found unknown escape character", "yaml.escape"),
)


def _said(detail: str) -> str:
    return next((code for words, code in SAID if words in detail), "yaml.syntax")

def load(source: str | bytes, file: str = "<workflow>", *, max_bytes: int = 256 * 1024,
         max_depth: int = 20, max_nodes: int = 20_000) -> Loaded:
    """Parse one YAML document into plain data with positions, or raise `YamlRejected`."""
    size = len(source if isinstance(source, bytes) else source.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlRejected([Problem(file, 1, 1, "yaml.too_large", {"size": size, "limit": max_bytes})])
    text = _decode(source, file) if isinstance(source, bytes) else source
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise YamlRejected([Problem(file, line, 1, "yaml.encoding", {"byte": "0x00"})])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = exc.problem or exc.context or "syntax error"
        code = "yaml.tab" if "\\t" in detail else _said(detail)
        raise YamlRejected([Problem(file, line, column, code, {"detail": detail})]) from None
    except yaml.YAMLError as exc:
        raise YamlRejected([Problem(file, 1, 1, "yaml.syntax", {"detail": str(exc).splitlines()[0]})]) from None
    except RecursionError:
        raise YamlRejected([Problem(file, 1, 1, "yaml.too_deep", {"limit": max_depth})]) from None
    if node is None:
        raise YamlRejected([Problem(file, 1, 1, "yaml.empty")])
    walker = _Walker(file, max_depth, max_nodes)
    data = walker.walk(node, (), 0)
    return Loaded(data=data, positions=walker.positions, file=file, bool_texts=walker.bool_texts)
