"""Certificate templates: one YAML file per template in the certificates/ folder, loaded and checked.

A template holds the wording in Arabic, English and French, the issuing organisation, the signatory, the colours
and an optional logo. Every problem is reported as `path:line: message`, like the content loader does; the
fields are described in certificates/README.md.
"""
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..content.model import Problem
from ..content.yamlsource import YamlError, read_yaml

LANGUAGES = ("ar", "en", "fr")
WORDING_KEYS = ("heading", "awarded_to", "for_completing", "completed_on", "score", "valid_until", "serial",
                "verify_at", "signed_note")
COLOUR_ROLES = ("primary", "accent", "text", "muted")
DEFAULT_COLOURS = {"primary": "#1F3A5F", "accent": "#A8844A", "text": "#1E1E1E", "muted": "#5A6472"}
TOP_LEVEL = ("wording", "months", "organisation", "signatory", "colours", "logo")
HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


@dataclass(frozen=True)
class Template:
    """A checked template: plain values ready for the renderer."""

    name: str
    path: str
    wording: dict  # language -> {key: text}
    months: dict  # language -> tuple of 12 month names
    organisation: dict  # language -> text
    signatory_name: str | None
    signatory_title: dict  # language -> text
    colours: dict  # role -> "#RRGGBB"
    logo: str | None  # absolute path of a PNG or JPEG file

    def word(self, lang, key):
        """The template's wording for `key` in `lang`."""
        return self.wording[lang][key]


class TemplateError(Exception):
    """The template has problems; `problems` lists them, each printing as `path:line: message`."""

    def __init__(self, problems):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_template(path):
    """Load and check the template at `path`; raise TemplateError listing every problem."""
    template, problems = check_template(path)
    if template is None:
        raise TemplateError(problems)
    return template


def check_template(path):
    """(Template or None, problems): None when there is at least one problem."""
    checker = _Checker(Path(path))
    template = checker.run()
    return (template if not checker.problems else None), checker.problems


def template_names(folder):
    """Names of the templates in `folder` (file stems of its *.yaml files)."""
    folder = Path(folder)
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


class _Checker:
    """Reads one template file and collects its problems, each at the line of the node it is about."""

    def __init__(self, path):
        self.path = path
        self.problems = []
        self.yaml = None

    def add(self, keys, message, line=None):
        if line is None:
            line = self.yaml.line(*keys) if self.yaml else 1
        self.problems.append(Problem(_display(self.path), line, message))

    def run(self):
        try:
            self.yaml = read_yaml(self.path)
        except YamlError as exc:
            self.add((), exc.message, line=exc.line)
            return None
        data = self.yaml.data
        if not isinstance(data, dict):
            self.add((), "the file must hold a mapping of fields (wording, organisation, signatory, ...)")
            return None
        for key in data:
            if key not in TOP_LEVEL:
                self.add((key,), f"unknown field '{key}' (expected one of {', '.join(TOP_LEVEL)})")
        signatory = self.mapping(data, ("signatory",))
        template = Template(
            name=self.path.stem,
            path=str(self.path),
            wording=self.wording(data),
            months=self.months(data),
            organisation=self.texts(data, ("organisation",)),
            signatory_name=self.text(signatory, ("signatory", "name"), required=False) if signatory else None,
            signatory_title=self.texts(signatory or {}, ("signatory", "title")),
            colours=self.colours(data),
            logo=self.logo(data),
        )
        return template

    # --- one method per kind of field; each reports what is wrong and returns a usable value ---

    def mapping(self, data, keys, required=True):
        node = data.get(keys[-1]) if isinstance(data, dict) else None
        if node is None:
            if required:
                self.add(keys[:-1], f"missing required field '{_name(keys)}'")
            return None
        if not isinstance(node, dict):
            self.add(keys, f"'{_name(keys)}' must be a mapping, not {_kind(node)}")
            return None
        return node

    def text(self, data, keys, required=True):
        node = data.get(keys[-1]) if isinstance(data, dict) else None
        if node is None or node == "":
            if required:
                self.add(keys[:-1], f"missing required field '{_name(keys)}'")
            return None
        if not isinstance(node, str) or not node.strip():
            self.add(keys, f"'{_name(keys)}' must be a non-empty text, not {_kind(node)}")
            return None
        return " ".join(node.split())

    def texts(self, data, keys):
        """A {ar, en, fr} mapping of texts, all three required (any of them may be printed)."""
        node = self.mapping(data, keys)
        if node is None:
            return {}
        for lang in node:
            if lang not in LANGUAGES:
                self.add(keys + (lang,), f"unknown language '{lang}' in '{_name(keys)}' (use ar, en, fr)")
        values = {}
        for lang in LANGUAGES:
            value = self.text(node, keys + (lang,))
            if value is not None:
                values[lang] = value
        return values

    def wording(self, data):
        node = self.mapping(data, ("wording",))
        if node is None:
            return {}
        for lang in node:
            if lang not in LANGUAGES:
                self.add(("wording", lang), f"unknown language '{lang}' in 'wording' (use ar, en, fr)")
        result = {}
        for lang in LANGUAGES:
            words = self.mapping(node, ("wording", lang))
            if words is None:
                continue
            for key in words:
                if key not in WORDING_KEYS:
                    self.add(("wording", lang, key), f"unknown wording '{key}' (expected one of "
                             f"{', '.join(WORDING_KEYS)})")
            result[lang] = {key: self.text(words, ("wording", lang, key)) for key in WORDING_KEYS}
        return result

    def months(self, data):
        node = self.mapping(data, ("months",))
        if node is None:
            return {}
        for lang in node:
            if lang not in LANGUAGES:
                self.add(("months", lang), f"unknown language '{lang}' in 'months' (use ar, en, fr)")
        result = {}
        for lang in LANGUAGES:
            names = node.get(lang)
            keys = ("months", lang)
            if names is None:
                self.add(("months",), f"missing required field 'months.{lang}'")
            elif not isinstance(names, list) or len(names) != 12 or not all(
                    isinstance(n, str) and n.strip() for n in names):
                self.add(keys, f"'months.{lang}' must be a list of the 12 month names, January first")
            else:
                result[lang] = tuple(n.strip() for n in names)
        return result

    def colours(self, data):
        node = self.mapping(data, ("colours",), required=False)
        colours = dict(DEFAULT_COLOURS)
        for role, value in (node or {}).items():
            keys = ("colours", role)
            if role not in COLOUR_ROLES:
                self.add(keys, f"unknown colour '{role}' (expected one of {', '.join(COLOUR_ROLES)})")
            elif not isinstance(value, str) or not HEX_COLOUR.match(value):
                self.add(keys, f"colour '{role}' must be a hex colour like \"#1F3A5F\" (quoted), not {value!r}")
            else:
                colours[role] = value.upper()
        return colours

    def logo(self, data):
        node = data.get("logo")
        if node is None:
            return None
        keys = ("logo",)
        if not isinstance(node, str) or not node.strip():
            self.add(keys, f"'logo' must be a file name, not {_kind(node)}")
            return None
        relative = Path(node)
        if relative.is_absolute() or ".." in relative.parts:
            self.add(keys, f"'logo' must be a file inside the certificates folder, not {node!r}")
            return None
        file = self.path.parent / relative
        if not file.is_file():
            self.add(keys, f"logo file not found: {_display(file)}")
            return None
        with open(file, "rb") as handle:
            head = handle.read(8)
        if not any(head.startswith(magic) for magic in _IMAGE_MAGIC):
            self.add(keys, f"logo must be a PNG or JPEG image: {_display(file)}")
            return None
        return str(file.resolve())


def _display(path):
    """The path as a user would type it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _name(keys):
    return ".".join(str(k) for k in keys)


def _kind(value):
    if isinstance(value, bool):
        return f"a true/false value ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return "an empty text" if not value.strip() else "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"
