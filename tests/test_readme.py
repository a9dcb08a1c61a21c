"""The README, docs/ and the Makefile lead a reviewer right: no target after a spaced --configfile, the
paper command plans every table and figure with the GPU profile, every variable and make target named,
a README read in five minutes with the rest in docs/, no reference a reader cannot follow (every link
resolves inside the repository, nothing points outside it)."""
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
MAKEFILE = (REPO / "Makefile").read_text()
PRESETS = sorted((REPO / "workflow" / "config").glob("*.yaml"))
DOCS = sorted((REPO / "docs").glob("*.md"))
MARKDOWN = {"README.md": README, **{f"docs/{p.name}": p.read_text() for p in DOCS}}


def _snakemake_commands(text: str) -> list[str]:
    """Every snakemake command line of ``text`` (continuation lines joined)."""
    joined = re.sub(r"\\\n[#\s]*", " ", text)  # continuation lines, in YAML comments too
    return [line[line.index("snakemake"):] for line in joined.splitlines()
            if re.search(r"(^|[\s/`])snakemake\s", line) and "--configfile" in line]


def _words_after_configfile(command: str) -> list[str]:
    """The words that ``--configfile FILE`` (with a space) would take as files after FILE; none
    for ``--configfile=FILE``, which takes one word."""
    words = shlex.split(re.sub(r"[\[\]]|\$\(|\)", "", command.split("`")[0].split("#")[0]))
    if "--configfile" not in words:
        return []
    index = words.index("--configfile")
    rest = words[index + 2:]
    return rest[:next((i for i, w in enumerate(rest) if w.startswith("-")), len(rest))]


def test_no_target_follows_a_spaced_configfile_anywhere():
    sources = {**MARKDOWN, "Makefile": MAKEFILE,
               **{p.name: p.read_text() for p in PRESETS}, "Snakefile": (REPO / "Snakefile").read_text()}
    commands = [(name, c) for name, text in sources.items() for c in _snakemake_commands(text)]
    assert len(commands) > 8
    for name, command in commands:
        assert _words_after_configfile(command) == [], f"{name}: a target after --configfile in {command!r}"


def test_the_quick_start_gives_the_one_word_configfile_and_it_plans_with_the_target_after_it():
    """``--configfile=FILE`` takes one word: a target after it is a target, not a preset file."""
    quick_start = README[README.index("## Quick start"):README.index("**Data.**")]
    command = "snakemake --cores 2 --configfile=workflow/config/smoke.yaml results/smoke/table1.csv"
    assert command in quick_start and "FileNotFoundError" in quick_start
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1",
                             "--configfile=workflow/config/smoke.yaml", "results/smoke/table1.csv"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rule table1:" in result.stdout and "This was a dry-run" in result.stdout


def test_no_reference_to_issue_numbers():
    for name, text in {**MARKDOWN, "Makefile": MAKEFILE, **{p.name: p.read_text() for p in PRESETS}}.items():
        assert not re.search(r"\bissue\b", text, re.IGNORECASE), name


def test_the_readme_names_every_variable_and_make_target_and_leads_with_the_results():
    for needed in ("GLF_INCEPTION_WEIGHTS", "GLF_VGG16_WEIGHTS", "GLF_SHARED_DATA", "make setup", "make paper-dryrun",
                   "make clean-results", "make paper", "make paper-gpu", "source .venv/bin/activate", "CelebA",
                   "estimated from CPU", "pipeline check, numbers meaningless"):
        assert needed in README, needed
    assert README.index("## Results") < README.index("## Reproducing the paper") < README.index("## Protocol")
    assert ".venv/bin/snakemake" not in README  # one way to call it: from the activated environment
    for target in ("setup", "smoke", "test", "paper", "paper-gpu", "paper-dryrun", "clean-results", "validate-cpu"):
        assert re.search(rf"^{target}:", MAKEFILE, re.MULTILINE), target


def test_the_readmes_paper_command_plans_every_table_and_figure_with_the_gpu_profile():
    command = next(c for c in _snakemake_commands(README) if "workflow/config/paper.yaml" in c and " all " in c)
    assert "--profile workflow/profiles/local" in command
    result = subprocess.run([sys.executable, "-m", *shlex.split(command), "-n"], cwd=REPO, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    planned = result.stdout + result.stderr
    for job in ("table1", "table2", "table3", "table4", "table5", "table6", "figure3", "figure4", "claims",
                "sensitivity", "samples_mnist", "samples_fashion", "samples_cifar10", "samples_celeba"):
        assert re.search(rf"^{job}\s+\d+$", planned, re.MULTILINE) or f"rule {job}:" in planned, job


def _relative_links(text: str) -> list[str]:
    """The targets of the markdown links of ``text`` that name a file of the repository (no URL, no
    anchor of the same page), without their ``#anchor``."""
    targets = re.findall(r"\[[^\]]*\]\(<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\)", text)
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_the_readme_is_read_in_five_minutes_and_indexes_every_docs_file():
    assert len(README.splitlines()) <= 220, len(README.splitlines())
    for section in ("## Quick start", "## Results", "## Reproducing the paper", "## Layout", "## Documentation"):
        assert section in README, section
    assert len(DOCS) >= 10  # the rest of what the README held lives in docs/
    linked = {(REPO / target).resolve() for target in _relative_links(README) if target.startswith("docs/")}
    assert linked and all(path.is_file() for path in linked), sorted(str(p) for p in linked if not p.is_file())
    assert {p.resolve() for p in DOCS} <= linked, sorted(p.name for p in DOCS if p.resolve() not in linked)
    tracked = subprocess.run(["git", "ls-files", "results/*/README.md"], cwd=REPO, capture_output=True, text=True)
    generated = [name for name in tracked.stdout.split() if "benchmark.commands.write_results_readme" in
                 (REPO / name).read_text()]  # each committed preset's results README, written by the workflow
    assert tracked.returncode != 0 or len(generated) >= 2
    for name in generated:
        assert f"]({name})" in README[README.index("## Results"):README.index("## Reproducing the paper")], name


def test_every_relative_link_of_the_readme_and_docs_resolves_inside_the_repository():
    checked = 0
    for name, text in MARKDOWN.items():
        for target in _relative_links(text):
            path = ((REPO / name).parent / target).resolve()
            assert path.is_relative_to(REPO), f"{name}: {target} points outside the repository"
            assert path.exists(), f"{name}: {target} does not exist"
            checked += 1
    assert checked > 20


def _yaml_comments(text: str) -> str:
    """The comments of a YAML file (whole-line and trailing), not its settings' values."""
    comments = []
    for line in text.splitlines():
        match = re.search(r"(^|\s)#(.*)$", line)
        if match:
            comments.append(match.group(2))
    return "\n".join(comments)


def test_nothing_in_the_readme_docs_or_preset_comments_points_outside_the_repository():
    """A user's clone has no ../shared: what a reader needs of it is written in docs/ (the claims, the
    data folder, the GPU bundle); a preset's setting may name a folder beside the checkout (its
    data_root), its comments may not send the reader there."""
    sources = {**MARKDOWN, **{p.name: _yaml_comments(p.read_text()) for p in PRESETS}}
    for name, text in sources.items():
        assert "../shared" not in text and "PAPER.md" not in text and "gpu_bundle.sh" not in text, name
    assert _yaml_comments("data_root: ../x  # from ../y\n# whole line\nkey: 'a#b'\n") == " from ../y\n whole line"
    assert "GLF_SHARED_DATA" in (REPO / "docs" / "data.md").read_text()
