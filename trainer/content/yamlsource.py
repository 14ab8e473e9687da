"""Reading YAML with the line of every node, so each problem can be reported as `path:line: message`."""
import yaml


class YamlFile:
    """A parsed YAML file: its data (plain Python values) and the line of each node, keyed by its path."""

    def __init__(self, path, data, lines, text_starts=None):
        self.path = path
        self.data = data
        self._lines = lines
        self._text_starts = text_starts or {}

    def line(self, *keys):
        """Line (1-based) of the node at `keys`, or of its nearest ancestor that exists."""
        keys = tuple(keys)
        while keys and keys not in self._lines:
            keys = keys[:-1]
        return self._lines.get(keys, 1)

    def line_in_text(self, keys, offset):
        """Line of the `offset`-th line (0-based) inside the text value at `keys` (a block scalar starts on the
        line after its `|`)."""
        start = self._text_starts.get(tuple(keys))
        return self.line(*keys) if start is None else start + offset


class YamlError(Exception):
    """The file is not valid YAML (or has duplicate keys); `line` says where."""

    def __init__(self, message, line):
        super().__init__(message)
        self.message = message
        self.line = line


def read_yaml(path):
    """Parse `path` with safe_load semantics; return a YamlFile or raise YamlError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", 1) from None
    except OSError as exc:
        raise YamlError(f"cannot read file: {exc.strerror}", 1) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"invalid YAML: {problem}", mark.line + 1 if mark else 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", 1) from None
    lines, text_starts = {}, {}
    if node is None:
        return YamlFile(path, None, lines)
    constructor = yaml.SafeLoader("")
    data = _to_python(node, (), lines, constructor, text_starts)
    return YamlFile(path, data, lines, text_starts)


def _to_python(node, path, lines, constructor, text_starts=None):
    lines[path] = node.start_mark.line + 1
    if text_starts is not None and isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        text_starts[path] = node.start_mark.line + 2
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError("merge keys (<<) are not supported", key_node.start_mark.line + 1)
            key = _to_python(key_node, path + ("<key>",), {}, constructor)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YamlError("a mapping key must be a plain value", key_node.start_mark.line + 1)
            if key in result:
                raise YamlError(f"duplicate key '{key}'", key_node.start_mark.line + 1)
            result[key] = _to_python(value_node, path + (key,), lines, constructor, text_starts)
            # A field is reported on the line of its name, even when its value starts on the next line.
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, path + (i,), lines, constructor, text_starts) for i, item in enumerate(node.value)]
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise YamlError(f"invalid value: {exc.problem}", node.start_mark.line + 1) from None
