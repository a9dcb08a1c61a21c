"""Check that a snakemake run on SLURM ran every job where it should have.

Reads the snakemake main log (.snakemake/log/<time>.snakemake.log), which announces each
job as `rule NAME:` (submitted to SLURM) or `localrule NAME:` (run on the submitting
host) followed by its `log:` files. Every rule's log must record `SLURM_JOB_ID=<id>`
(at the start of a line or after a space, as often as it likes but always the same
value): a number for submitted jobs, `none` for localrules.

    python .ci/slurm/check_job_logs.py .snakemake/log/<time>.snakemake.log

Exits 1 listing every job that broke the rule, or when no job was submitted at all.
"""

import re
import sys
from pathlib import Path

JOB_HEADER = re.compile(r"^\s*(localrule|rule) (\w+):$")  # indented: a member of a group job
LOG_LINE = re.compile(r"^\s+log: (.+)$")
JOB_ID = re.compile(r"(?:^|\s)SLURM_JOB_ID=(\S+)", re.MULTILINE)


def jobs_with_logs(snakemake_log):
    """Return [(is_local, rule, [log paths])] for every job announced in `snakemake_log`."""
    jobs = []
    for line in Path(snakemake_log).read_text().splitlines():
        header = JOB_HEADER.match(line)
        if header:
            jobs.append((header.group(1) == "localrule", header.group(2), []))
            continue
        logs = LOG_LINE.match(line)
        if logs and jobs and not jobs[-1][2]:
            jobs[-1][2].extend(path.strip() for path in logs.group(1).split(","))
    return jobs


def problems(jobs, workdir):
    """Return one message per job whose log does not show where it ran."""
    found = []
    for is_local, rule, logs in jobs:
        if not logs:
            if not is_local:
                found.append(f"rule {rule}: has no log: file, cannot prove it ran on SLURM")
            continue
        path = Path(workdir) / logs[0]
        ids = sorted(set(JOB_ID.findall(path.read_text()))) if path.exists() else []
        expected = "none" if is_local else "a SLURM job id"
        if len(ids) != 1:
            found.append(f"rule {rule}: {path} records SLURM_JOB_ID={ids}, wanted one value ({expected})")
        elif is_local and ids[0] != "none":
            found.append(f"localrule {rule}: {path} ran inside SLURM job {ids[0]}")
        elif not is_local and not ids[0].isdigit():
            found.append(f"rule {rule}: {path} ran outside SLURM (SLURM_JOB_ID={ids[0]})")
    return found


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    jobs = jobs_with_logs(argv[1])
    found = problems(jobs, Path.cwd())
    submitted = sum(1 for is_local, _, _ in jobs if not is_local)
    if submitted == 0:
        found.append(f"{argv[1]} announces no submitted job")
    for message in found:
        print(f"check_job_logs: {message}", file=sys.stderr)
    if found:
        sys.exit(1)
    print(f"check_job_logs: {submitted} SLURM jobs and {len(jobs) - submitted} local jobs ran where they should")


if __name__ == "__main__":
    main(sys.argv)
