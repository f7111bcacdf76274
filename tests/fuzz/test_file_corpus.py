"""The corpus of config.yaml, prompt files and ChatDev logs through their readers, and
odd command-line arguments through the commands that take them."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoforge_learn.collect import Collector
from autoforge_learn.errors import AutoforgeError
from autoforge_learn.registry import PromptRegistry
from autoforge_learn.settings import load_settings
from autoforge_learn.store.layout import StoreLayout

from .corpus import GOOD
from .corpus_files import CHATDEV_CASES, CONFIG_CASES, PROMPT_CASES, chatdev_log, fifo
from .harness import assert_index_agrees, run_cli, time_limit, unchanged


def _store(tmp_path: Path) -> Path:
    root = tmp_path / "store" / ".autoforge"
    for rel, data in GOOD.items():
        path = StoreLayout(root).raw / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "ai" / "prompts").mkdir(parents=True)
    return root


def _library_refuses_cleanly(call, mention: str) -> None:
    """A library reader returns, or raises our error naming ``mention``; nothing else."""
    with time_limit():
        try:
            call()
        except AutoforgeError as exc:
            assert mention in str(exc), exc


@pytest.mark.parametrize("name", sorted(CONFIG_CASES))
def test_config_yaml_readers(tmp_path: Path, name: str) -> None:
    root = _store(tmp_path)
    config = root / "config.yaml"
    CONFIG_CASES[name](config)
    with unchanged(config, StoreLayout(root).raw):
        run_cli(["label", "--root", str(root)], mentions=["config.yaml"])
        run_cli(["init", "--root", str(root)], mentions=["config.yaml"])
        _library_refuses_cleanly(lambda: load_settings(config), "config.yaml")
        _library_refuses_cleanly(lambda: Collector(root).close(), "config.yaml")


@pytest.mark.parametrize("name", sorted(PROMPT_CASES))
def test_prompt_file_readers(tmp_path: Path, name: str) -> None:
    root = _store(tmp_path)
    prompts = root / "ai" / "prompts"
    PROMPT_CASES[name](prompts / "qa.yaml")
    section = tmp_path / "rules.txt"
    section.write_text("Be very careful.\n")
    mentions = ["qa.yaml", str(prompts), "qa.v1.0"]
    with unchanged(StoreLayout(root).raw):
        with unchanged(prompts):
            run_cli(["prompts", "list", "--root", str(root)], mentions=mentions)
            run_cli(["prompts", "show", "qa.v1.0", "--root", str(root)], mentions=mentions)
            _library_refuses_cleanly(lambda: PromptRegistry(root).versions(), "qa.yaml")
        before = (prompts / "qa.yaml").read_bytes() if (prompts / "qa.yaml").is_file() else None
        made = run_cli(["prompts", "new", "qa", "-m", "more care", "--section",
                        f"rules={section}", "--root", str(root)], mentions=mentions)
    if made.exit_code == 1 and before is not None:  # a file it cannot read is never replaced
        assert (prompts / "qa.yaml").read_bytes() == before


def _warehouse(tmp_path: Path, names: list[str]) -> Path:
    """A WareHouse folder with one run folder per case. Each log's last comment names
    its case, so that no two runs are the same run (the importer imports a copy once)."""
    warehouse = tmp_path / "WareHouse"
    for i, name in enumerate(names):
        run = warehouse / f"Case{i}_Org_20230825093558"
        for file_name, build in CHATDEV_CASES[name].items():
            (run / file_name).parent.mkdir(parents=True, exist_ok=True)
            build(run / file_name)
            if file_name.endswith(".log") and (run / file_name).is_file():
                log = run / file_name
                log.write_bytes(log.read_bytes().replace(b"Looks fine.", f"{name}.".encode()))
    return warehouse


def _import_and_check(tmp_path: Path, warehouse: Path, logs: list[Path]) -> None:
    """Import the WareHouse, then each log named alone: exit 0 or 1 with the log named,
    the logs unchanged; every line the importer wrote is a valid event, and the index
    holds them all."""
    root = tmp_path / "store" / ".autoforge"
    base = ["--root", str(root), "--no-progress"]
    with unchanged(warehouse):
        run_cli(["import", "chatdev", str(warehouse), *base], mentions=[str(warehouse)])
        run_cli(["import", "chatdev", *map(str, logs), *base, "--format", "json"],
                mentions=[str(warehouse)])
    if StoreLayout(root).raw.is_dir():
        report = run_cli(["validate", "--root", str(root), "--format", "json"])
        assert report.exit_code == 0, report.output
        run_cli(["index", "--root", str(root)])
        assert_index_agrees(root, None)


def _logs(warehouse: Path) -> list[Path]:
    return sorted(warehouse.rglob("*.log"))


def test_the_chatdev_importer_reads_every_case(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path, sorted(CHATDEV_CASES))
    _import_and_check(tmp_path, warehouse, _logs(warehouse))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHATDEV_CASES))
def test_the_chatdev_importer_reads_each_case_alone(tmp_path: Path, name: str) -> None:
    warehouse = _warehouse(tmp_path, [name])
    _import_and_check(tmp_path, warehouse, _logs(warehouse))


def test_the_template_chatdev_log_imports(tmp_path: Path) -> None:
    """The template the ChatDev cases bend is a log the importer reads in full (else
    the cases would test only the refusal of a non-log)."""
    run = tmp_path / "Calc_Org_20230825093558"
    run.mkdir()
    (run / "run.log").write_bytes(chatdev_log())
    root = tmp_path / ".autoforge"
    result = run_cli(["import", "chatdev", str(run), "--root", str(root), "--no-progress"])
    assert result.exit_code == 0, result.output
    kinds = run_cli(["validate", "--root", str(root), "--format", "json"]).stdout
    for kind in ("stage_execution", "project_completed", "downstream_feedback"):
        assert kind in kinds, kinds


def _argument_cases(tmp_path: Path, root: Path) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (arguments, what an exit-1 message must name)."""
    a_fifo = tmp_path / "a_fifo"
    fifo(a_fifo)
    bad_text = tmp_path / "bad.txt"
    bad_text.write_bytes(b"\xff\xfe not UTF-8\n")
    markup_file = tmp_path / "x[/bold].jsonl"  # a folder "x[" and a file "bold].jsonl"
    markup_file.parent.mkdir()
    markup_file.write_bytes(b"not json\n")
    bomb = tmp_path / "prices.yaml"
    CONFIG_CASES["alias_bomb"](bomb)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "run.log").write_bytes(chatdev_log())
    r = ["--root", str(root)]
    f, m = str(a_fifo), str(markup_file)
    return {
        "role_with_a_newline_list": (["prompts", "list", "--role", "qa\n", *r], ["qa"]),
        "role_with_a_newline_new": (["prompts", "new", "qa\n", "-m", "x", *r], ["qa"]),
        "role_with_a_newline_show": (["prompts", "show", "qa\n.v1.0", *r], ["qa"]),
        "markup_version": (["prompts", "show", "[/x]", *r], ["[/x]"]),
        "markup_section_name": (
            ["prompts", "new", "qa", "-m", "[/b]", "--section", f"[/x]={bad_text}", *r],
            ["[/x]", str(bad_text)],
        ),
        "section_file_a_fifo": (
            ["prompts", "new", "qa", "-m", "x", "--section", f"rules={f}", *r], [f]
        ),
        "section_file_not_utf8": (
            ["prompts", "new", "qa", "-m", "x", "--section", f"rules={bad_text}", *r],
            [str(bad_text)],
        ),
        "validate_a_fifo": (["validate", f], [f]),
        "validate_markup_name_missing": (["validate", str(tmp_path / "y[/bold].jsonl")],
                                         ["y[/bold].jsonl"]),
        "validate_markup_name": (["validate", m], [m]),
        "organize_a_fifo": (["organize", f, *r], [f]),
        "organize_markup_name": (["organize", m, *r], [m]),
        "import_a_fifo": (["import", "chatdev", f, *r, "--no-progress"], [f]),
        "import_markup_name_missing": (
            ["import", "chatdev", str(tmp_path / "n[/x].log"), *r, "--no-progress"], ["n[/x]"]
        ),
        "prices_a_fifo": (
            ["import", "chatdev", str(logs), "--prices", f, *r, "--no-progress"], [f]
        ),
        "prices_an_alias_bomb": (
            ["import", "chatdev", str(logs), "--prices", str(bomb), *r, "--no-progress"],
            [str(bomb)],
        ),
        "metric_markup": (["metrics", "show", "[/x]", *r], ["[/x]"]),
        "since_markup": (["metrics", "show", "gate_pass_rate", "--since", "[/x]", *r],
                         ["[/x]"]),
        "query_markup": (["query", "[/x]", *r], ["[/x]"]),
        "engine_markup": (["index", "--engine", "[/x]", *r], ["[/x]"]),
        "engine_unreachable": (
            ["index", "--engine", "postgresql://nobody@127.0.0.1:1/x", *r], ["127.0.0.1"]
        ),
        "engine_port_out_of_range": (
            ["index", "--engine", "postgresql://u:pw@127.0.0.1:99999/x", *r], ["65535"]
        ),
        "engine_bad_sslmode": (
            ["index", "--engine", "postgresql://nobody@127.0.0.1:1/x?sslmode=bogus", *r],
            ["127.0.0.1"],
        ),
        "engine_a_directory": (["index", "--engine", f"duckdb:{tmp_path}", *r],
                               [str(tmp_path)]),
        "root_markup": (["index", "--root", str(tmp_path / "r[/x]")], ["r[/x]"]),
        "experiment_markup": (["ab", "status", "[/x]", *r], ["[/x]"]),
    }


ARGUMENT_CASES = 26


def test_every_argument_case_is_listed(tmp_path: Path) -> None:
    assert len(_argument_cases(tmp_path, tmp_path)) == ARGUMENT_CASES


@pytest.mark.parametrize("index", range(ARGUMENT_CASES))
def test_odd_arguments(tmp_path: Path, index: int) -> None:
    root = _store(tmp_path)
    name, (args, mentions) = sorted(_argument_cases(tmp_path, root).items())[index]
    with unchanged(StoreLayout(root).raw):
        run_cli(args, mentions=mentions, usage_errors=True)
