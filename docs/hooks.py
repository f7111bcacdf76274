"""MkDocs hook: pages generated from the code at build time, so they never drift from it.

* ``cli.md``: every command of ``autoforge`` (walked from the Typer app): its usage, its
  help text, its arguments and options with their help;
* ``schema.md``: every event kind's fields (from the JSON Schema that ``autoforge
  schema`` prints, itself generated from the pydantic models).

Configured in ``mkdocs.yml`` as ``hooks: [docs/hooks.py]``. The tests import this file
too (``tests/test_docs.py``). Run it to print a page: ``python docs/hooks.py cli``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

# -- text helpers ------------------------------------------------------------------------

_RICH_TAG = re.compile(r"\[/?(?:bold|italic|dim|red|green|yellow|cyan|magenta|b|i|u)\]")


def _plain(text: str | None) -> str:
    """Help text without Rich markup."""
    return _RICH_TAG.sub("", text or "").strip()


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, ``|`` and ``<`` escaped."""
    text = " ".join(text.split())
    return text.replace("|", "\\|").replace("<", "&lt;")


def _para(text: str) -> str:
    """Help text as Markdown paragraphs: ``Example:`` lines become code blocks."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        head, sep, example = block.partition("Example:")
        if sep and not head.strip():
            # Each example is one command, wrapped in the source: one line here.
            commands = [" ".join(part.split()) for part in example.split("Example:")]
            word = "Examples" if len(commands) > 1 else "Example"
            out.append(f"{word}:\n\n```bash\n" + "\n".join(commands) + "\n```")
        else:
            out.append(" ".join(block.split()).replace("<", "&lt;"))
    return "\n\n".join(out)


# -- the CLI reference -----------------------------------------------------------------


def iter_commands() -> Iterator[tuple[list[str], Any, Any]]:
    """``(path, command, context)`` for every leaf command of ``autoforge``, in order.

    Groups (``autoforge prompts``) are walked into; their leaves are listed.
    """
    import typer.main

    from autoforge_learn.cli import app

    root = typer.main.get_command(app)
    context_class = type(root.make_context("autoforge", ["--help"], resilient_parsing=True))

    def walk(command: Any, path: list[str], parent: Any) -> Iterator[tuple[list[str], Any, Any]]:
        ctx = context_class(command, info_name=path[-1], parent=parent)
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name in sorted(subcommands):
                sub = subcommands[name]
                if not getattr(sub, "hidden", False):
                    yield from walk(sub, [*path, name], ctx)
        else:
            yield path, command, ctx

    yield from walk(root, ["autoforge"], None)


def _group_help() -> dict[str, str]:
    """The help of each command group (``prompts``, ``ab``...), by name."""
    import typer.main

    from autoforge_learn.cli import app

    root = typer.main.get_command(app)
    return {
        name: _plain(command.help)
        for name, command in root.commands.items()
        if getattr(command, "commands", None)
    }


def _params_table(command: Any, ctx: Any) -> str:
    rows = []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        if param.param_type_name == "argument":
            names = _argument_name(param)
        kind = "argument" if param.param_type_name == "argument" else "option"
        # (a pipe inside a code span does not split a cell: no escape there)
        rows.append(f"| `{' '.join(names.split())}` | {kind} | {_cell(_plain(help_text))} |")
    if not rows:
        return "No options."
    return "| name | | what it does |\n|---|---|---|\n" + "\n".join(rows)


def _argument_name(param: Any) -> str:
    """How an argument is written: its metavar, else its name in capitals (``OUT``)."""
    name = str(param.metavar or param.name).upper()
    return name + "..." if param.nargs == -1 else name


def _usage(command: Any, ctx: Any) -> str:
    """The usage line, arguments named as in the table (``EXPERIMENT_ID``)."""
    usage = command.get_usage(ctx).removeprefix("Usage: ").strip()
    for param in command.params:
        if param.param_type_name != "argument":
            continue
        for spelling in {str(param.name), str(param.metavar)}:
            usage = re.sub(
                r"\{" + re.escape(spelling) + r"\}(\.\.\.)?", _argument_name(param), usage
            )
    return " ".join(usage.split())


def render_cli() -> str:
    """The CLI reference page: one section per command."""
    from autoforge_learn.cli import app

    groups = _group_help()
    lines = [
        "# Command reference",
        "",
        "Every command of `autoforge`, generated from the program itself when the",
        "documentation is built: what `autoforge COMMAND --help` prints, as a page.",
        "`python -m autoforge_learn` works the same as `autoforge`.",
        "",
        _para(_plain(app.info.help)),
        "",
        "Every command takes `-h`/`--help`; `autoforge --version` prints the version.",
        "",
    ]
    seen_groups: set[str] = set()
    for path, command, ctx in iter_commands():
        name = " ".join(path)
        group = path[1] if len(path) > 2 else None
        if group and group not in seen_groups:
            seen_groups.add(group)
            lines += [f"## autoforge {group}", "", _para(groups.get(group, "")), ""]
        level = "###" if group else "##"
        usage = _usage(command, ctx)
        lines += [
            f"{level} {name}",
            "",
            "```text",
            usage,
            "```",
            "",
            _para(_plain(command.help)),
            "",
            _params_table(command, ctx),
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


# -- the event schema --------------------------------------------------------------------


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    """A field's type in words: ``string``, ``integer``, ``one of a, b``, ``list of ...``."""
    if "$ref" in prop:
        target = defs[prop["$ref"].rsplit("/", 1)[-1]]
        if "enum" in target:
            return "one of " + ", ".join(f"`{v}`" for v in target["enum"])
        return "object (" + target.get("title", "?") + ")"
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if "anyOf" in prop:
        kinds = [_type_of(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(kinds) or "null"
    kind = prop.get("type", "any")
    if kind == "array":
        return "list of " + _type_of(prop.get("items", {}), defs)
    if kind == "object":
        values = prop.get("additionalProperties")
        return "object of " + _type_of(values, defs) if isinstance(values, dict) else "object"
    if kind == "string" and prop.get("format") == "date-time":
        return "date-time (ISO 8601)"
    return str(kind)


def _bounds(prop: dict[str, Any]) -> str:
    """Limits a field's values must respect, in words."""
    parts = []
    for key, word in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in prop:
            parts.append(f"{word} {prop[key]}")
    if "pattern" in prop:
        parts.append(f"matches `{prop['pattern']}`")
    for inner in prop.get("anyOf", ()):
        if inner.get("type") != "null":
            inner_bounds = _bounds(inner)
            if inner_bounds:
                parts.append(inner_bounds)
    return ", ".join(parts)


def event_kinds() -> list[tuple[str, dict[str, Any]]]:
    """``(kind, model schema)`` for every event kind, in the schema's order."""
    from autoforge_learn.schema.jsonschema import generate_json_schema

    schema = generate_json_schema()
    defs = schema["$defs"]
    refs = schema["discriminator"]["mapping"]
    mapping = {ref.rsplit("/", 1)[-1]: kind for kind, ref in refs.items()}
    kinds = []
    for option in schema["oneOf"]:
        name = option["$ref"].rsplit("/", 1)[-1]
        kinds.append((mapping[name], defs[name]))
    return kinds


def render_schema() -> str:
    """The event schema page: one table of fields per event kind."""
    from autoforge_learn.schema.jsonschema import generate_json_schema
    from autoforge_learn.store.layout import FILE_FOR_KIND

    schema = generate_json_schema()
    defs = schema["$defs"]
    lines = [
        "# Event schema",
        "",
        "Every line of a raw file is one JSON object: one event. This page is generated",
        "from the pydantic models when the documentation is built; `autoforge schema`",
        "prints the same definition as a JSON Schema (draft 2020-12), for other tools.",
        "",
        _para(_plain(schema["description"])),
        "",
        "Every event carries the envelope: `event_id`, `schema_version`, `kind`,",
        "`project_id` and `timestamp`. `kind` decides which other fields it has and which",
        "file of the project it is stored in. *Required* fields must be present; the",
        "others may be left out (or `null`).",
        "",
        "| kind | file | what it records |",
        "|---|---|---|",
    ]
    kinds = event_kinds()
    for kind, model in kinds:
        first = _plain(model.get("description", "")).split("\n\n")[0]
        lines.append(
            f"| [`{kind}`](#{kind}) | `project_<id>_{FILE_FOR_KIND[kind]}.jsonl` | {_cell(first)} |"
        )
    lines.append("")
    for kind, model in kinds:
        required = set(model.get("required", ()))
        lines += [f"## {kind}", "", _para(_plain(model.get("description", ""))), ""]
        lines += ["| field | type | required | default | what it holds |", "|---|---|---|---|---|"]
        for field, prop in model["properties"].items():
            default = prop.get("default")
            shown = "" if default is None or field == "kind" else f"`{default}`"
            text = prop.get("description", "")
            limits = _bounds(prop)
            if limits:
                text = f"{text} ({limits})" if text else limits
            lines.append(
                f"| `{field}` | {_cell(_type_of(prop, defs))} | "
                f"{'yes' if field in required else ''} | {_cell(shown)} | {_cell(text)} |"
            )
        lines.append("")
    kind_models = {option["$ref"].rsplit("/", 1)[-1] for option in schema["oneOf"]}
    nested = [name for name, d in defs.items() if "properties" in d and name not in kind_models]
    for name in nested:
        model = defs[name]
        lines += [f"## {name} (nested object)", "", _para(_plain(model.get("description", ""))), ""]
        lines += ["| field | type | what it holds |", "|---|---|---|"]
        for field, prop in model["properties"].items():
            lines.append(
                f"| `{field}` | {_cell(_type_of(prop, defs))} | "
                f"{_cell(prop.get('description', ''))} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


#: Pages this hook adds: name -> function returning the Markdown.
RENDERERS = {"cli.md": render_cli, "schema.md": render_schema}


# -- the MkDocs hook -------------------------------------------------------------------


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages to the site (they exist only in the build)."""
    from mkdocs.structure.files import File

    for name, render in RENDERERS.items():
        existing = files.get_file_from_path(name)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, name, content=render()))
    return files


if __name__ == "__main__":
    page = (sys.argv[1:] or ["cli"])[0]
    sys.stdout.write(RENDERERS[page if page.endswith(".md") else page + ".md"]())
