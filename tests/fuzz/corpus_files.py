"""The corpus of the other files a user hands us: ``config.yaml``, prompt files, ChatDev
run logs, and command-line arguments. Each case is text or bytes, or a builder for what
bytes cannot say (a FIFO, a link, a directory in a file's place)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

#: Writes the case at a path (its parent exists).
Builder = Callable[[Path], None]


def text(data: str | bytes) -> Builder:
    def build(path: Path) -> None:
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return build


def fifo(path: Path) -> None:
    os.mkfifo(path)


def directory(path: Path) -> None:
    path.mkdir()


def link_loop(path: Path) -> None:
    os.symlink(path.name, path)


def oversized(path: Path) -> None:
    """A sparse file beyond the 16 MB any YAML reader of ours takes."""
    with open(path, "wb") as handle:
        handle.truncate(17 * 2**20)


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
DEEP_YAML = "[" * 20_000 + "]" * 20_000 + "\n"
DEEP_MAPPING = "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "x\n"

#: Shared by config.yaml and prompt files: YAML any reader of ours must refuse or read.
YAML_CASES: dict[str, Builder] = {
    "alias_bomb": text(BILLION_LAUGHS),
    "one_alias": text("a: &x {k: 1}\nb: *x\n"),
    "a_list": text("- 1\n- 2\n"),
    "a_scalar": text("42\n"),
    "invalid_utf8": text(b"gates:\n  max_retries: \xff\xfe\n"),
    "nul_character": text(b"gates: \x00\n"),
    "tab_indentation": text("gates:\n\tmax_retries: 1\n"),
    "deep_flow_nesting": text(DEEP_YAML),
    "deep_block_nesting": text(DEEP_MAPPING),
    "python_tag": text("!!python/object/apply:os.system ['echo hi']\n"),
    "binary_tag": text("gates: !!binary aGVsbG8=\n"),
    "set_tag": text("gates: !!set {a, b}\n"),
    "two_documents": text("gates: {}\n---\ngates: {}\n"),
    "empty": text(""),
    "comments_only": text("# nothing\n"),
    "byte_order_mark": text(b"\xef\xbb\xbfgates: {}\n"),
    "crlf": text("gates:\r\n  max_retries: 2\r\n"),
    "markup_key": text("'[/x]': 1\n"),
    "key_with_a_newline": text('"qa\\n": 1\n'),
    "oversized": oversized,
    "fifo": fifo,
    "directory": directory,
    "link_loop": link_loop,
}

CONFIG_CASES: dict[str, Builder] = {
    **YAML_CASES,
    "section_a_list": text("patterns: [1, 2]\n"),
    "leaf_a_word": text("gates:\n  max_retries: many\n"),
    "leaf_huge_integer": text("gates:\n  max_retries: 99999999999999999999\n"),
    "leaf_1e400": text("gates:\n  max_retries: 1e400\n"),
    "leaf_nan": text("patterns:\n  min_projects: .nan\n"),
    "leaf_negative": text("gates:\n  max_retries: -1\n"),
    "leaf_a_bool": text("gates:\n  max_retries: true\n"),
    "leaf_a_date": text("gates:\n  max_retries: 2025-10-01\n"),
    "leaf_markup": text("gates:\n  max_retries: '[/bold]'\n"),
    "leaf_long_string": text("gates:\n  max_retries: '" + "9" * 1_000_000 + "'\n"),
    "unknown_section": text("no_such_section: 1\n"),
    "unknown_leaf": text("gates:\n  no_such_setting: 1\n"),
    "survey_rate_above_one": text("collect:\n  survey_sample_rate: 7\n"),
}


def _prompt(body: str) -> Builder:
    return text("role: qa\nversions:\n" + body)


GOOD_VERSION = (
    "  qa.v1.0:\n    created: '2025-10-01'\n    status: active\n    changes: [first]\n"
    "    sections:\n      rules: Be careful.\n"
)

PROMPT_CASES: dict[str, Builder] = {
    **YAML_CASES,
    "versions_a_list": text("role: qa\nversions: [1, 2]\n"),
    "version_a_string": _prompt("  qa.v1.0: just text\n"),
    "version_null": _prompt("  qa.v1.0:\n"),
    "sections_a_list": _prompt(GOOD_VERSION.replace("sections:\n      rules: Be careful.",
                                                    "sections: [a, b]")),
    "section_a_number": _prompt(GOOD_VERSION.replace("Be careful.", "99999999999999999999")),
    "section_null": _prompt(GOOD_VERSION.replace("Be careful.", "null")),
    "section_markup": _prompt(GOOD_VERSION.replace("Be careful.", "'[/bold] [red]x'")),
    "created_not_a_date": _prompt(GOOD_VERSION.replace("'2025-10-01'", "'99999-01-01'")),
    "created_a_yaml_date": _prompt(GOOD_VERSION.replace("'2025-10-01'", "2025-10-01")),
    "created_a_number": _prompt(GOOD_VERSION.replace("'2025-10-01'", "1e400")),
    "status_unknown": _prompt(GOOD_VERSION.replace("active", "'[/x]'")),
    "changes_a_string": _prompt(GOOD_VERSION.replace("[first]", "first")),
    "changes_numbers": _prompt(GOOD_VERSION.replace("[first]", "[1, .nan]")),
    "parent_markup": _prompt(GOOD_VERSION + "    parent: '[/x]'\n"),
    "role_mismatch": text("role: dev\nversions:\n" + GOOD_VERSION),
    "role_a_list": text("role: [qa]\nversions:\n" + GOOD_VERSION),
    "version_of_another_role": _prompt(GOOD_VERSION.replace("qa.v1.0", "dev.v1.0")),
    "version_id_bad": _prompt(GOOD_VERSION.replace("qa.v1.0", "qa.v1")),
    "version_id_huge": _prompt(GOOD_VERSION.replace("qa.v1.0", "qa.v99999999999999999999.0")),
    "version_id_markup": _prompt(GOOD_VERSION.replace("qa.v1.0", "'[/x]'")),
    "default_unknown": text("role: qa\ndefault: qa.v9.9\nversions:\n" + GOOD_VERSION),
    "default_a_list": text("role: qa\ndefault: [1]\nversions:\n" + GOOD_VERSION),
}

CHATDEV_LOG = """\
[2023-25-08 09:35:59 INFO] **[Preprocessing]**

**ChatDev Starts** (20230825093558)

**task_prompt**: {task}

**project_name**: {name}

**ChatGPTConfig**:
ChatGPTConfig(temperature={temperature}, top_p=1.0, n=1)

[2023-25-08 09:36:01 INFO] System: **[chatting]**

| Parameter | Value |
| --- | --- |
| **assistant_role_name** | Chief Product Officer |
| **user_role_name** | Chief Executive Officer |
| **phase_name** | DemandAnalysis |
| **chat_turn_limit** | {turns} |
| **model_type** | ModelType.GPT_3_5_TURBO |

[2023-25-08 09:36:52 INFO] **[OpenAI_Usage_Info Send]**
 num_prompt_tokens: 447
 num_max_completion_tokens: 3649

[2023-25-08 09:36:57 INFO] **[OpenAI_Usage_Info Receive]**
prompt_tokens: {prompt_tokens}
completion_tokens: 4
total_tokens: 451

[2023-25-08 09:36:58 INFO] **[Seminar Conclusion]**:

 <INFO> Application

[2023-25-08 09:37:27 INFO] **[Execute Detail]**

execute SimplePhase:[CodeReviewComment] in ComposedPhase:[CodeReview], cycle {cycle}

[2023-25-08 09:38:00 INFO] **[User Provided Comments]**

In the #{comment} of total 3 comments: {comment_text}

[{end_time} INFO] **[Post Info]**

Software Info:

💰**cost**=${cost}

❓**num_prompt_tokens**={post_tokens}

❗**num_completion_tokens**=4

🌟**num_total_tokens**=451

🕑**duration**={duration}s

ChatDev Ends (20230825094037)
"""

_FIELDS = {
    "task": "Build a calculator.",
    "name": "Calc",
    "temperature": "0.2",
    "turns": "10",
    "prompt_tokens": "447",
    "cycle": "0",
    "comment": "1",
    "comment_text": "Looks fine.",
    "end_time": "2023-25-08 09:40:37",
    "cost": "0.001",
    "post_tokens": "447",
    "duration": "279.00",
}


def chatdev_log(**changes: str) -> bytes:
    """The template ChatDev log with some of its values replaced."""
    return CHATDEV_LOG.format(**{**_FIELDS, **changes}).encode()


HUGE = "99999999999999999999"

#: Run-folder file name -> builder; every case has the log ``run.log`` unless it says.
CHATDEV_CASES: dict[str, dict[str, Builder]] = {
    "template": {"run.log": text(chatdev_log())},
    "cost_400_digits": {"run.log": text(chatdev_log(cost="9" * 400))},
    "cost_5000_digits": {"run.log": text(chatdev_log(cost="9" * 5000))},
    "cost_1_2_3": {"run.log": text(chatdev_log(cost="1.2.3"))},
    "cost_negative": {"run.log": text(chatdev_log(cost="-5"))},
    "usage_tokens_20_digits": {"run.log": text(chatdev_log(prompt_tokens=HUGE))},
    "usage_tokens_5000_digits": {"run.log": text(chatdev_log(prompt_tokens="9" * 5000))},
    "post_tokens_20_digits": {"run.log": text(chatdev_log(post_tokens=HUGE))},
    "duration_negative": {"run.log": text(chatdev_log(duration="-5"))},
    "duration_400_digits": {"run.log": text(chatdev_log(duration="9" * 400))},
    "temperature_1_2_3": {"run.log": text(chatdev_log(temperature="1.2.3"))},
    "turn_limit_20_digits": {"run.log": text(chatdev_log(turns=HUGE))},
    "cycle_20_digits": {"run.log": text(chatdev_log(cycle=HUGE))},
    "cycle_5000_digits": {"run.log": text(chatdev_log(cycle="9" * 5000))},
    "comment_number_20_digits": {"run.log": text(chatdev_log(comment=HUGE))},
    "end_in_year_9999": {"run.log": text(chatdev_log(end_time="9999-31-12 23:59:59"))},
    "end_in_month_13": {"run.log": text(chatdev_log(end_time="2023-08-13 09:40:37"))},
    "end_before_start": {"run.log": text(chatdev_log(end_time="2001-01-01 00:00:00"))},
    "markup_in_names": {
        "run.log": text(chatdev_log(name="[/bold]x", task="[red]go[/]", comment_text="[/x]"))
    },
    "nul_in_text": {"run.log": text(chatdev_log(comment_text="a\x00b" + "x" * 5000))},
    "nul_at_the_start": {"run.log": text(b"\x00" + chatdev_log())},
    "invalid_utf8": {"run.log": text(chatdev_log().replace(b"Looks fine.", b"\xff\xfe\xc0"))},
    "cr_line_endings": {"run.log": text(chatdev_log().replace(b"\n", b"\r"))},
    "empty": {"run.log": text(b"")},
    "not_a_log": {"run.log": text(b"hello\n")},
    "markup_file_name": {"x[/bold].log": text(chatdev_log())},
    "fifo_log": {"run.log": fifo},
    "log_link_loop": {"run.log": link_loop},
    "directory_named_like_a_log": {"run.log": directory},
    "role_config_invalid_json": {
        "run.log": text(chatdev_log()), "RoleConfig.json": text(b"{'a': 1,}"),
    },
    "role_config_deep": {
        "run.log": text(chatdev_log()), "RoleConfig.json": text(b"[" * 5000 + b"]" * 5000),
    },
    "role_config_nan": {
        "run.log": text(chatdev_log()), "RoleConfig.json": text(b'{"a": NaN}'),
    },
    "role_config_a_list": {"run.log": text(chatdev_log()), "RoleConfig.json": text(b"[1]")},
    "role_config_wrong_types": {
        "run.log": text(chatdev_log()),
        "RoleConfig.json": text(b'{"Chief Product Officer": 5, "x": {"y": [null]}}'),
    },
    "phase_config_fifo": {"run.log": text(chatdev_log()), "PhaseConfig.json": fifo},
    "chain_config_link_loop": {"run.log": text(chatdev_log()), "ChatChainConfig.json": link_loop},
}
